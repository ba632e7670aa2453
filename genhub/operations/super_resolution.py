"""Super-resolution three ways: learned (a trained genhub model), internal (trained on the image itself at
test time: ZSSR, Shocher et al. 2018, after Glasner et al. 2009, "Super-resolution from a single image"),
and bicubic, the baseline.

    internal: pairs (bicubic(downscale(p, 1/s), s), p) for small crops p (CROP px, by gradient energy) of the
              image, its flips and rotations and smaller copies of it (down to half size); fit x_hat = up + f(up)
              with L1 over many cheap steps (cosine learning-rate schedule; f a small leaky-ReLU CNN, fed the
              input less the image's mean);
              apply to up = bicubic(image, s) under the 8 flips/rotations and average (ZSSR's geometric
              self-ensemble), then back-project: x_hat += bicubic(image - downscale(x_hat), s), so that
              downscaling the result gives the input back (ZSSR; Irani & Peleg 1991).
Colour images: the internal method learns all three channels of YCbCr (BT.601) with one net, so chroma
follows luma's edges (skimage's rocket: +0.41 -> +0.90 dB over luma alone); the learned models, trained on
grey items, upscale luminance and leave chroma to bicubic. Alpha is always bicubic.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable
from contextlib import contextmanager

import torch
import torch.nn.functional as F

from ..images import validate_images
from ..models import require
from ..models.super_resolution import (  # noqa: F401 (the colour conversions are re-exported)
    SCALES,
    SuperResolution,
    bicubic,
    crop_weights,
    dihedral,
    grey_as_ycbcr,
    residual_cnn,
    rgb_to_ycbcr,
    training_crops,
    undo_dihedral,
    ycbcr_to_rgb,
)

METHODS = ("internal", "learned", "bicubic")
MAX_INPUT_SIDE = 512  # pixels: larger inputs are refused (the internal method's time grows with the output)
MIN_INTERNAL_SIDE = 8  # pixels: the internal method needs room for crops of the image itself
MAX_STEPS = 3000  # most training steps of the internal method
DEFAULT_STEPS = 1500  # the internal method's training steps unless asked otherwise
CROP = 24  # pixels: side of the internal method's training crops (small crops, many steps: +0.5 dB at equal time)
FATHER_SCALES = (0.9, 0.8, 0.7, 0.6, 0.5)  # the smaller copies of the image the internal method also learns from
BACK_PROJECTIONS = 8  # iterations of back-projection after the internal method
LEAKY_SLOPE = 0.1  # the internal net's leaky ReLUs
START_LR = 5e-5  # the internal method's learning rate when it starts from a trained model (1e-3 from scratch)
START_STEPS = 200  # the Space's internal steps from photo-sr-x2: every example photo +1.0 dB or more over bicubic at x2
SECONDS_PER_STEP = 0.0075  # internal method's cost on 2 CPU cores: one training step (8 crops)
SECONDS_PER_OUTPUT_PIXEL = 8e-6  # ... and applying the net under 8 flips/rotations, per output pixel (colour)


def internal_super_resolve(
    image: torch.Tensor,
    scale: int,
    steps: int = DEFAULT_STEPS,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
    start: SuperResolution | None = None,
) -> torch.Tensor:
    """Zero-shot SR of one image (1, C, H, W), C = 1 (grey) or 3 (YCbCr): fit a residual CNN on the image's own
    pairs, then apply it. x4 goes in two x2 stages of steps/2 each (ZSSR's gradual SR: measured +0.7 to +0.9 dB
    over one x4 stage). start: a x2 model whose net the fit starts from (at START_LR), as
    transfer-learned ZSSR does (Soh et al. 2020), instead of a seeded fresh net."""
    if scale == 4:
        half = steps // 2 if start is not None else max(1, steps // 2)
        first = internal_super_resolve(image, 2, half, seed, progress and (lambda d, _: progress(d, 2 * half)), start)
        return internal_super_resolve(
            first, 2, half, seed + 1, progress and (lambda d, _: progress(half + d, 2 * half)), start
        )
    h, w = image.shape[2:]
    # 1. the fathers: the image and smaller copies; crops a multiple of the scale that fits
    fathers = [image] + [
        bicubic(image, (round(h * f), round(w * f))) for f in FATHER_SCALES if min(h, w) * f >= 2 * scale
    ]
    crop = max(scale, min(CROP, min(f.shape[2] for f in fathers), min(f.shape[3] for f in fathers)) // scale * scale)
    # 2. fit x_hat = up + f(up - mean) with L1 (Adam, learning rate decayed tenfold over the run); the leaky
    # ReLUs and the centred input keep the net from dying (with plain ReLUs on YCbCr some photos' nets went to 0)
    if start is None:
        net, lr = _seeded(residual_cnn(image.shape[1], 32, 6, LEAKY_SLOPE), torch.Generator().manual_seed(seed)), 1e-3
    else:
        net, lr = copy.deepcopy(start.residual).float().cpu().train(), START_LR
    centre = image.mean(dim=(2, 3), keepdim=True) if start is None or start.config.centre_input else 0.0
    optimizer = torch.optim.Adam(net.parameters(), lr=lr)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, max(1, steps), eta_min=lr / 10)
    rng = random.Random(seed)
    weights = [crop_weights(father[:, :1], crop) for father in fathers]  # by luma's (or grey's) gradients
    for step in range(steps):
        target = training_crops(fathers, weights, crop, 8, rng)
        up = bicubic(bicubic(target, (crop // scale, crop // scale)), (crop, crop))
        loss = F.l1_loss(up + net(up - centre), target)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        schedule.step()
        if progress is not None:
            progress(step + 1, steps)
    # 3. apply to the bicubic upscale of the whole image, under each flip/rotation; then back-project
    with torch.no_grad():
        up = bicubic(image, (h * scale, w * scale))
        ensemble = [undo_dihedral(dihedral(up, k) + net(dihedral(up, k) - centre), k) for k in range(8)]
        return back_project(torch.stack(ensemble).mean(0).clamp(0, 1), image)


def internal_seconds(height: int, width: int, scale: int, steps: int = DEFAULT_STEPS) -> float:
    """Estimated seconds of the internal method for one (height x width) image, grey or colour (one net for all
    its channels), on 2 CPU cores: the training steps, then the net under 8 flips/rotations over the output (x4:
    two x2 stages, steps/2 each). Measured the same from a fresh net and from photo-sr-x2 (200 steps on a 128-px
    photo: 2.2 s, estimated 2.0 s)."""
    outputs = [height * width * 4] if scale == 2 else [height * width * 4, height * width * 16]
    return steps * SECONDS_PER_STEP + sum(outputs) * SECONDS_PER_OUTPUT_PIXEL


@contextmanager
def flush_denormals():
    """Float denormals on the CPU (a night sky's near-zero residuals, Adam's tiny moments) slow convolutions
    down about eightfold (skimage's rocket: 103 s -> 13 s): flush them to zero for the block, then restore
    PyTorch's default."""
    torch.set_flush_denormal(True)
    try:
        yield
    finally:
        torch.set_flush_denormal(False)


def back_project(estimate: torch.Tensor, low: torch.Tensor, iterations: int = BACK_PROJECTIONS) -> torch.Tensor:
    """Iterative back-projection: correct `estimate` until its bicubic downscale matches `low`."""
    for _ in range(iterations):
        error = low - bicubic(estimate, tuple(low.shape[2:]))
        estimate = (estimate + bicubic(error, tuple(estimate.shape[2:]))).clamp(0, 1)
    return estimate


def _seeded(net: torch.nn.Sequential, generator: torch.Generator) -> torch.nn.Sequential:
    """Re-draw PyTorch's default conv init from `generator` (no global RNG); the last layer stays zero."""
    convs = [m for m in net if isinstance(m, torch.nn.Conv2d)][:-1]
    for conv in convs:
        torch.nn.init.kaiming_uniform_(conv.weight, a=5**0.5, generator=generator)
        bound = 1 / (conv.weight[0].numel() ** 0.5)
        torch.nn.init.uniform_(conv.bias, -bound, bound, generator=generator)
    return net


def _check(images: torch.Tensor, scale: int, method: str, model, steps: int) -> None:
    validate_images(images)
    if images.shape[1] not in (1, 3, 4):
        raise ValueError(f"images must have 1 (grey), 3 (RGB) or 4 (RGBA) channels, got {images.shape[1]}")
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {SCALES}, got {scale!r}")
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if max(images.shape[2:]) > MAX_INPUT_SIDE:
        raise ValueError(f"images are {images.shape[3]}x{images.shape[2]}; at most {MAX_INPUT_SIDE} pixels a side")
    if method == "internal" and min(images.shape[2:]) < MIN_INTERNAL_SIDE:
        raise ValueError(
            f"the internal method needs at least {MIN_INTERNAL_SIDE} pixels a side, got "
            f"{images.shape[3]}x{images.shape[2]} (use 'bicubic' or 'learned')"
        )
    fewest = 0 if model is not None else 1  # a start model may be applied as it is
    if method == "internal" and not (isinstance(steps, int) and fewest <= steps <= MAX_STEPS):
        raise ValueError(f"steps must be an integer in {fewest}..{MAX_STEPS}, got {steps!r}")
    if method == "learned" or model is not None:
        require(model, "super_resolve", f"method {method!r} (model=...; the internal method also runs without one)")
        needed = scale if method == "learned" else 2  # the internal method goes x4 in two x2 stages
        if model.config.scale != needed:
            raise ValueError(f"this model upscales x{model.config.scale}; {method} x{scale} needs a x{needed} model")
        if method == "internal" and images.shape[1] >= 3 and not _colour_model(model):
            raise ValueError(
                "a colour image needs a colour (YCbCr) start model such as photo-sr-x2, or none; "
                "this one learned grey images"
            )


def _colour_model(model: SuperResolution) -> bool:
    return model.config.num_channels == 3 and model.config.colour_space == "ycbcr"


def super_resolve(
    images: torch.Tensor,
    scale: int = 2,
    method: str = "internal",
    model: SuperResolution | None = None,
    steps: int = DEFAULT_STEPS,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> torch.Tensor:
    """Upscale (N, C, H, W) in [0, 1] (C = 1, 3 or 4) by `scale` -> (N, C, H * scale, W * scale).

    method: "internal" (trains on each image for `steps` steps; seeded; from `model`'s net when given, a x2 model,
    e.g. photo-sr-x2, else from a fresh one), "learned" (a trained model of the same scale), or "bicubic".
    Colour: the internal method and colour models (photo-sr-x2) work on luminance and chroma together; grey
    models upscale luminance and leave chroma to bicubic; alpha is always bicubic.
    """
    # 1. check the request
    _check(images, scale, method, model, steps)
    n, c, h, w = images.shape
    size = (h * scale, w * scale)
    if method == "bicubic":
        return bicubic(images, size)
    # 2. alpha goes by bicubic; colour is worked on as YCbCr
    colour = images[:, :3] if c >= 3 else images
    alpha = bicubic(images[:, 3:], size) if c == 4 else None
    ycc = rgb_to_ycbcr(colour) if c >= 3 else colour
    widen = model is not None and _colour_model(model) and c == 1  # a colour model sees grey as neutral YCbCr
    ycc = grey_as_ycbcr(ycc) if widen else ycc
    # 3. learned: luminance (or grey) by the model, chroma by bicubic; internal: all channels, one net per image
    with torch.no_grad() if method == "learned" else torch.enable_grad(), flush_denormals():
        if method == "learned" and (widen or (c >= 3 and _colour_model(model))):
            upscaled = model(ycc.to(model.device, model.dtype)).images.float().cpu()
        elif method == "learned":
            upscaled = model(ycc[:, :1].to(model.device, model.dtype)).images.float().cpu()
            if c >= 3:
                upscaled = torch.cat([upscaled, bicubic(ycc[:, 1:], size)], dim=1)
        else:
            total = n * steps
            upscaled = torch.cat(
                [
                    internal_super_resolve(
                        ycc[i : i + 1],
                        scale,
                        steps,
                        seed,
                        None if progress is None else (lambda done, _, i=i: progress(i * steps + done, total)),
                        model,
                    )
                    for i in range(n)
                ]
            )
    # 4. back to RGB (or grey), alpha back on
    upscaled = upscaled[:, :1] if widen else upscaled
    out = ycbcr_to_rgb(upscaled) if c >= 3 else upscaled
    return torch.cat([out, alpha], dim=1) if alpha is not None else out
