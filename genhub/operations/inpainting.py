"""Inpainting under a generative prior (Yeh et al. 2017, "Semantic image inpainting with deep generative
models"), with classical baselines.

    find   z* = argmin_z  L_context(z) + lambda * L_prior(z)
           L_context = || W * (G(z) - y) ||_1         W: weights on known pixels (below)
           L_prior   = C(G(z), c)  (EBGAN energy; softplus(-D) for the baseline GAN)   or   1/2 ||z||^2 (VAE)
                       or -log p(z | c) (a VAE's class prior, c the class guide's class; up to a constant)
    then   x = Poisson blend of G(z*) into y: the fill keeps G's gradients, the known pixels are copied back.
W_i = 0 for unknown pixels; for a known pixel, 0.1 + the share of unknown pixels in its 7x7 window (Yeh's
weights, which count a known pixel by how close it is to the hole, plus a floor so the whole context counts).
Masks are (N, 1, H, W), 1 = missing (fill), 0 = known; values above 0.5 count as missing.
The class of the hidden part is unknown, so the search starts from the prior's own evidence: a bank of BANK_SIZE prior
samples (for a conditional GAN, an equal number of every class) is compared with the known pixels (the same weighted
L1), and the best `restarts` bank codes start the search (for a VAE, beside the encoder's code of the known pixels). A
GAN candidate keeps its bank sample's class (its class logits start saturated), so the candidates are class hypotheses
and the known pixels pick the class.
A two-stage VAE is searched in its second stage's noise u (z = D2(u), prior 1/2 ||u||^2), or in z under its class prior
when there is a class guide.
With a class guide (a classifier of partly hidden items, `fashion-classifier-partial`, which reads them mirrored too),
the starts are the nearest bank samples of the class it names for the known pixels (a VAE's bank samples are classed by
the same classifier, seeing them whole): it names a half item's class far more often than the nearest samples' pixels
do (GAN prior, left half, 200 test items: the start's class right 81% -> 92.5% of the time).
A VAE's z is not tied to a class the way a conditional GAN's is, so its fills drift to the class the known pixels look
like; a VAE with a class prior (one Gaussian of the training codes per class) is searched, and its bank drawn, under
the guide's class's Gaussian instead, so its fills keep the class too.
A GAN's fill can still lose what tells its class apart (a shirt's placket filled plain reads as a T-shirt), so with a
guide each image's best candidate is refined a few more steps with the guide's -log p(c | completed image) added (the
known pixels with the fill, c the candidate's class; gradients reach z through the hidden pixels only).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from transformers.utils import ModelOutput

from ..images import validate_images
from ..models import Classifier, require
from .masks import (  # noqa: F401 (re-exported)
    PRESET_MASKS,
    binary_mask,
    context_weights,
    poisson_blend,
    preset_mask,
    stroke_mask,
)

BASELINES = ("telea", "navier_stokes", "mean")
LATENT_BOUND = 3.0  # |z| is clamped to this during the search
BANK_SIZE = 4000  # prior samples compared with the known pixels to start the search
CLASS_LOGIT = 8.0  # a bank GAN candidate's class logit (softmax ~ 0.997 on its class)
GUIDE_STEPS = 30  # steps refining each image's best candidate with the class guide's evidence
_BANKS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # model -> {classed: (latents, classes, images)}
_BANK_LOCK = threading.Lock()
_GUIDED_CLASSES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # guide -> {VAE: its bank's classes}
OTHER_CLASS_PENALTY = 1e6  # added to the distance of bank samples of another class than the guide names


@dataclass
class InpaintingOutput(ModelOutput):
    images: torch.Tensor | None = None  # (N, C, H, W) filled, known pixels bit-identical to the input
    raw: torch.Tensor | None = None  # G(z*) / Dec(z*), before blending
    latents: torch.Tensor | None = None  # the best codes found (None when nothing was missing)
    class_labels: torch.Tensor | None = None  # the class searched in: the GAN's chosen one, a class-prior VAE's guide's
    loss: torch.Tensor | None = None  # the best candidates' objective, per image


@torch.no_grad()
def prior_bank(model, classed: bool = False) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor]:
    """BANK_SIZE seeded prior samples of a model, made once per model object: (latents, classes or None, images in
    half precision).
    classed: for a VAE with a class prior, BANK_SIZE / C codes z of each class's Gaussian (else noise from N(0, I))."""
    classed = classed and model.has_class_prior
    with _BANK_LOCK:
        banks = _BANKS.setdefault(model, {})
        if classed not in banks:
            latents, classes, images = model.search_bank(
                BANK_SIZE, torch.Generator().manual_seed(0), classed, CLASS_LOGIT
            )
            banks[classed] = (latents, classes, images.half().cpu())  # half precision: 6 MB a bank, not 12
        return banks[classed]


def _nearest_in_bank(
    bank_images: torch.Tensor, images: torch.Tensor, weights: torch.Tensor, k: int, classes=None
) -> torch.Tensor:
    """(N, k) indices of the bank images closest to each image on its known pixels (weighted L1); with
    classes = (bank classes (B,), wanted class per image (N,)) those of the wanted class first."""
    flat_bank = bank_images.flatten(1)
    picks = []
    for i, (y, w) in enumerate(zip(images.flatten(1), weights.flatten(1))):
        distance = ((flat_bank - y).abs() * w).sum(1)
        if classes is not None:
            distance = distance + OTHER_CLASS_PENALTY * (classes[0] != classes[1][i]).float()
        picks.append(distance.topk(k, largest=False).indices)
    return torch.stack(picks)


def check_class_guide(guide, model) -> None:
    """A class guide must be a partial-view genhub classifier of the prior's images (and a GAN's classes)."""
    if "classify" not in getattr(guide, "capabilities", ()) or not guide.config.partial_view:
        raise ValueError(
            "class_guide must be a genhub classifier of partly hidden items (partial_view=True), e.g. "
            f"genhub.load_model('fashion-classifier-partial'); got {type(guide).__name__}"
        )
    if guide.config.num_channels != model.config.num_channels:
        raise ValueError(
            f"class_guide reads {guide.config.num_channels}-channel images, the prior makes {model.config.num_channels}"
        )
    classes = getattr(model.config, "num_classes", 0)  # a GAN's classes, or a VAE's class prior's (0: none)
    if classes and guide.config.num_classes != classes:
        raise ValueError(
            f"class_guide names {guide.config.num_classes} classes, the prior has {model.config.num_classes}"
        )


@torch.no_grad()
def _guided_classes(model, guide, images: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(classes of the prior bank's samples (B,), the class the guide names for each image's known pixels (N,))."""
    _, bank_classes, bank_images = prior_bank(model, classed=True)
    if bank_classes is None:  # a VAE's samples, classed by the guide seeing them whole (once per model)
        with _BANK_LOCK:
            cache = _GUIDED_CLASSES.setdefault(guide, weakref.WeakKeyDictionary())
            if model not in cache:
                cache[model] = guide.predict(bank_images.to(guide.device, guide.dtype)).cpu()
            bank_classes = cache[model]
    wanted = guide.predict(images.to(guide.device, guide.dtype), mask=mask.to(guide.device, guide.dtype)).cpu()
    return bank_classes, wanted


def _start(model, images, mask, restarts, class_guide=None):
    """Initial candidates (N * K, d), their class logits (GAN) and K = restarts: the bank samples nearest the known
    pixels, of the guide's class when there is a guide (for a VAE the first candidate is the encoder's code of the
    known pixels instead)."""
    n = images.shape[0]
    bank_latents, bank_classes, bank_images = prior_bank(model, classed=class_guide is not None)
    classes = None if class_guide is None else _guided_classes(model, class_guide, images, mask)
    in_classes = classes is not None and model.has_class_prior  # a VAE searched in z under the guide's class
    weights = context_weights(mask).cpu().expand(images.shape)  # one weight a pixel, in every channel
    nearest = _nearest_in_bank(bank_images, images.float().cpu(), weights, restarts, classes)  # (N, K)
    latents = bank_latents[nearest].reshape(n * restarts, -1).clone().to(images.device)
    code = model.search_start(images, mask, in_classes)  # an encoder's code of the known pixels, if it has one
    if code is not None:
        latents.view(n, restarts, -1)[:, 0] = code.float()
        if not in_classes:
            return latents, None, restarts
    classes = bank_classes[nearest].reshape(-1)  # a class-prior VAE's candidates all hold the guide's class
    class_logits = CLASS_LOGIT * F.one_hot(classes, model.config.num_classes).float().to(images.device)
    return latents, class_logits, restarts


def _decode(model, latents, class_logits):
    """Images in the model's dtype for float32 search variables (cast on the way in)."""
    return model.search_decode(latents.to(model.device, model.dtype), class_logits)


def _guide_energy(guide: Classifier, images: torch.Tensor, classes: torch.Tensor) -> torch.Tensor:
    """-log p_guide(c | image) of whole images (N,) (an empty mask: nothing hidden, in train mode too), summed over
    both views for a mirror-invariant guide (as its predict reads them)."""
    images = images.to(guide.device, guide.dtype)
    views = [images, images.flip(-1)] if guide.config.mirror_invariant else [images]
    classes, whole = classes.to(guide.device)[:, None], torch.zeros_like(images[:, :1])
    return -sum(guide(view, mask=whole).logits.log_softmax(1).gather(1, classes)[:, 0] for view in views).float()


def _objective(model, images, mask, k, prior_weight, guide=None, guide_weight=0.0):
    """The loss of K candidates per image: context + prior_weight * prior, plus guide_weight * the guide's
    -log p(c | completed image) when given (the known pixels with the candidate's fill, c its class)."""
    weights = context_weights(mask).repeat_interleave(k, 0)  # (N * K, 1, H, W)
    targets, hidden = images.repeat_interleave(k, 0), mask.repeat_interleave(k, 0).bool()

    def objective(latents, class_logits):
        output = _decode(model, latents, class_logits)
        loss = (weights * (output - targets).abs()).flatten(1).sum(1)
        loss = loss + prior_weight * model.search_prior(output, latents, class_logits)
        if guide_weight:
            completed = torch.where(hidden, output.to(targets.dtype), targets)
            loss = loss + guide_weight * _guide_energy(guide, completed, class_logits.argmax(1)).to(loss.device)
        return output, loss

    return objective


def _adam(objective, latents, class_logits, steps, search_class, progress=None, done=0, total=0):
    """Adam on the candidates' latents (and class logits when search_class) for `steps` steps; gradients are taken
    w.r.t. these only (the models' own weights are never touched, so concurrent requests are safe)."""
    params = [latents.clone().requires_grad_(True)]
    if search_class:
        params.append(class_logits.clone().requires_grad_(True))
    optimizer = torch.optim.Adam(params, lr=0.05)
    for step in range(steps):
        with torch.enable_grad():
            _, loss = objective(params[0], params[1] if search_class else class_logits)
            grads = torch.autograd.grad(loss.sum(), params)
        for param, grad in zip(params, grads):
            param.grad = grad
        optimizer.step()
        with torch.no_grad():
            params[0].clamp_(-LATENT_BOUND, LATENT_BOUND)
        if progress is not None:
            progress(done + step + 1, total)
    return params[0].detach(), params[1].detach() if search_class else class_logits


def search_latents(
    model,
    images,
    mask,
    steps: int = 200,
    restarts: int = 4,
    prior_weight: float | None = None,
    generator: torch.Generator | None = None,
    progress: Callable[[int, int], None] | None = None,
    class_guide: Classifier | None = None,
    guide_weight: float | None = None,
):
    """Adam on z (and the GAN's class logits) for every candidate at once, from the bank (of class_guide's class
    when given); then (steps > 0), with a guide and a class, GUIDE_STEPS more on the best candidate with the guide's
    class evidence on the completed image. Returns the best candidate's (output, latents, class ids or None, loss)."""
    n = images.shape[0]
    with torch.no_grad():
        latents, class_logits, k = _start(model, images, mask, restarts, class_guide)
    defaults = model.search_defaults  # the prior's own weights (a class prior: its firmer pull)
    if prior_weight is None:
        prior_weight = defaults["class_prior_weight" if class_logits is not None else "prior_weight"]
    if guide_weight is None:
        guide_weight = defaults["guide_weight"]
    refine = GUIDE_STEPS if steps and class_guide is not None and class_logits is not None and guide_weight else 0
    search_class = defaults["search_class"]  # a GAN's class logits are searched; a class-prior VAE's class is fixed
    objective = _objective(model, images, mask, k, prior_weight)
    latents, class_logits = _adam(objective, latents, class_logits, steps, search_class, progress, 0, steps + refine)
    with torch.no_grad():
        output, loss = objective(latents, class_logits)
        best = loss.view(n, k).argmin(1) + torch.arange(n, device=loss.device) * k  # (N,) best candidates
    latents, output, loss = latents[best], output[best], loss[best]
    class_logits = None if class_logits is None else class_logits[best]
    if refine:  # the best candidate, now also pulled to read as its class to the guide
        objective = _objective(model, images, mask, 1, prior_weight, class_guide, guide_weight)
        latents, class_logits = _adam(
            objective, latents, class_logits, refine, search_class, progress, steps, steps + refine
        )
        with torch.no_grad():
            output, loss = objective(latents, class_logits)
    return output, latents, None if class_logits is None else class_logits.argmax(1), loss


def _check_request(model, images, mask, steps, restarts, class_guide, guide_weight) -> torch.Tensor:
    """Refuse a bad inpainting request with what is accepted; returns the mask as {0, 1} floats."""
    require(model, "search_prior", "inpaint")
    validate_images(images, model.config.num_channels, model.config.image_size)
    mask = binary_mask(mask, images)
    if not (isinstance(steps, int) and 0 <= steps <= 5000) or not (isinstance(restarts, int) and 1 <= restarts <= 64):
        raise ValueError(f"steps must be in 0..5000 and restarts in 1..64, got {steps!r}, {restarts!r}")
    if class_guide is not None:
        check_class_guide(class_guide, model)
    if guide_weight is not None and not (isinstance(guide_weight, (int, float)) and 0 <= guide_weight <= 1e4):
        raise ValueError(f"guide_weight must be a number in 0..10000 (None: the prior's default), got {guide_weight!r}")
    return mask


def inpaint(
    model,
    images: torch.Tensor,
    mask: torch.Tensor,
    steps: int = 200,
    restarts: int = 4,
    prior_weight: float | None = None,
    blend: bool = True,
    generator: torch.Generator | None = None,
    progress: Callable[[int, int], None] | None = None,
    class_guide: Classifier | None = None,
    guide_weight: float | None = None,
) -> InpaintingOutput:
    """Fill the masked pixels of images (N, C, H, W) in [0, 1] under a VAE or class-conditional GAN prior (a
    diffusion prior: RePaint, `genhub.operations.repaint`, with its own defaults; steps and restarts unused).
    Returns "images" (known pixels bit-identical to the input), "raw" (G(z*) / Dec(z*)), "latents", "class_labels"
    (the GAN's chosen classes; with a guide, the class a class-prior VAE searched in) and "loss" (the objective).
    The search is deterministic: its starts come from the fixed, seeded prior bank, so `generator` (used by RePaint)
    does not change it. class_guide: a classifier of partly hidden items (`fashion-classifier-partial`); the search
    then starts from prior samples of the class it names for the known pixels, which keeps the item's class far more
    often (None: the nearest samples of any class); a VAE with a class prior (`fashion-vae`) is then searched under
    that class's Gaussian p(z | c) instead of N(0, I). guide_weight: with a guide, each image's best candidate is
    refined for GUIDE_STEPS more steps with guide_weight * the guide's -log p(class | completed image) added (None:
    the prior's `search_defaults`: 30 for a GAN, 0 = off for a VAE).
    """
    if "denoise" in getattr(model, "capabilities", ()):  # a diffusion prior
        from .repaint import repaint  # noqa: PLC0415 (repaint builds on this module)

        return repaint(model, images, mask, class_guide=class_guide, generator=generator, progress=progress)
    # 1. check the request
    mask = _check_request(model, images, mask, steps, restarts, class_guide, guide_weight)
    images = images.masked_fill(mask.bool(), 0.0)  # the hidden pixels are never read, whatever they hold
    device = images.device
    if not mask.any():  # nothing to fill
        return InpaintingOutput(images=images.clone(), raw=images.clone(), loss=torch.zeros(len(images), device=device))
    # 2. search the latent space for the code that best explains the known pixels (on the model's device; the
    #    model's dtype inside it, the search variables in float32)
    raw, latents, labels, loss = search_latents(
        model,
        images.to(model.device),
        mask.to(model.device),
        steps,
        restarts,
        prior_weight,
        generator,
        progress,
        class_guide,
        guide_weight,
    )
    raw, latents, loss = raw.float().to(device), latents.to(device), loss.float().to(device)
    labels = None if labels is None else labels.to(device)
    # 3. blend the fill into the known pixels; copy the known pixels back exactly
    filled = poisson_blend(raw, images, mask) if blend else torch.where(mask.bool(), raw, images)
    return InpaintingOutput(
        images=torch.where(mask.bool(), filled, images),
        raw=raw,
        latents=latents,
        class_labels=labels,
        loss=loss,
    )


def inpaint_baseline(images: torch.Tensor, mask: torch.Tensor, method: str = "telea", radius: int = 3) -> torch.Tensor:
    """OpenCV's Telea or Navier-Stokes inpainting (cv2.inpaint), or a fill with the mean known value."""
    import cv2

    validate_images(images)
    mask = binary_mask(mask, images)
    if method not in BASELINES:
        raise ValueError(f"method must be one of {BASELINES}, got {method!r}")
    if method == "mean":
        known_mean = (images * (1 - mask)).sum((2, 3), keepdim=True) / (1 - mask).sum((2, 3), keepdim=True).clamp_min(1)
        return torch.where(mask.bool(), known_mean.expand_as(images), images)
    flag = cv2.INPAINT_TELEA if method == "telea" else cv2.INPAINT_NS
    out = []
    for x, m in zip(images, mask):
        if m.all():  # nothing known to inpaint from: the known mean is undefined, fill with 0
            out.append(torch.zeros_like(x))
            continue
        x = x * (1 - m)  # the hidden pixels are never read
        pixels = (x.permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)
        filled = cv2.inpaint(pixels, m[0].numpy().astype(np.uint8), radius, flag)
        filled = torch.from_numpy(filled.reshape(pixels.shape)).permute(2, 0, 1).float() / 255
        out.append(torch.where(m.bool(), filled, x))  # known pixels exactly as given
    return torch.stack(out)
