"""Inpainting under a diffusion prior: RePaint (Lugmayr et al. 2022) through diffusers' RePaintScheduler.

    at each reverse step   x_{t-1} = m * q(x_{t-1} | y) + (1 - m) * p_theta(x_{t-1} | x_t, c)
                           (m = 1 on known pixels: the known pixels y noised to level t-1; the rest denoised)
    resampling             every `jump_length` steps the chain goes back `jump_length` steps (x_t ~ q(x_t | x_{t-1}))
                           and denoises again, `jump_n_sample` times, so the fill harmonises with the known pixels
The class c is the one the class guide (a classifier of partly hidden items) names for the known pixels, or the
one given; the noise prediction is guided as in sampling (guidance scale w, 1 = the conditional model alone).
Masks are (N, 1, H, W), 1 = missing (fill), 0 = known, as everywhere in genhub (diffusers' RePaint takes the
complement). The hidden pixels are zeroed before anything reads them; the known pixels come back bit-identical.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from diffusers import RePaintScheduler

from ..images import validate_images
from ..models import require
from ..models.classifier import Classifier
from .inpainting import InpaintingOutput
from .masks import binary_mask

MAX_STEPS = 250  # most RePaint steps (before resampling) one call takes
CHUNK = 64  # images denoised together


def _check(model, steps, jump_length, jump_n_sample, guidance_scale) -> None:
    require(model, "denoise", "RePaint")
    for name, value, low, high in (
        ("num_inference_steps", steps, 2, MAX_STEPS),
        ("jump_length", jump_length, 1, 50),
        ("jump_n_sample", jump_n_sample, 1, 10),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValueError(f"{name} must be an integer in {low}..{high}, got {value!r}")
    if (
        isinstance(guidance_scale, bool)
        or not isinstance(guidance_scale, (int, float))
        or not 0 <= guidance_scale <= 20
    ):
        raise ValueError(f"guidance_scale must be a number in 0..20, got {guidance_scale!r}")


@torch.no_grad()
def repaint(
    model,
    images: torch.Tensor,
    mask: torch.Tensor,
    num_inference_steps: int = 50,
    jump_length: int = 10,
    jump_n_sample: int = 3,
    class_labels=None,
    class_guide: Classifier | None = None,
    guidance_scale: float = 1.0,
    generator: torch.Generator | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> InpaintingOutput:
    """Fill the masked pixels of images (N, C, H, W) in [0, 1] with a diffusion model through RePaint.
    class_labels: the class of each item (ids or names); else the class_guide's reading of the known pixels; else
    the unconditional model (the null class). Returns "images" (known pixels bit-identical), "raw" (the final x_0)
    and "class_labels"."""
    # 1. check the request; the hidden pixels are never read, whatever they hold
    _check(model, num_inference_steps, jump_length, jump_n_sample, guidance_scale)
    validate_images(images, model.config.num_channels, model.config.image_size)
    mask = binary_mask(mask, images)
    images = images.masked_fill(mask.bool(), 0.0)
    if not mask.any():
        return InpaintingOutput(images=images.clone(), raw=images.clone())
    labels = _classes(model, images, mask, class_labels, class_guide)
    scale = float(guidance_scale) if labels is not None else 1.0
    if labels is None:  # no class: the unconditional model
        labels = torch.full((len(images),), model.config.num_classes, dtype=torch.long)
    device, dtype = model.device, model.dtype
    known = (1 - mask).to(device, dtype)  # diffusers' RePaint: 1 = keep
    original = (images * 2 - 1).to(device, dtype)
    labels = labels.to(device)
    source = generator.device if generator is not None else torch.device("cpu")
    noise = torch.randn(images.shape, generator=generator, device=source).to(device, dtype)  # x_T, drawn up front
    run = (num_inference_steps, jump_length, jump_n_sample, scale, generator)
    parts = [
        _repaint_chunk(model, *chunk, *run, progress)
        for chunk in zip(noise.split(CHUNK), original.split(CHUNK), known.split(CHUNK), labels.split(CHUNK))
    ]  # chunks of CHUNK images: a CPU's caches favour small batches
    raw = ((torch.cat(parts) + 1) / 2).clamp(0, 1).float().to(images.device)
    filled = torch.where(mask.bool(), raw, images)
    return InpaintingOutput(images=filled, raw=raw, class_labels=labels.cpu())


def _repaint_chunk(model, x, original, known, labels, steps, jump_length, jump_n_sample, scale, generator, progress):
    """One chunk from x_T to x_0 in [-1, 1]: the RePaint schedule (eta = 1: DDPM's noise, as in the paper) from the
    model's own noise schedule; the known pixels re-imposed at every step; jumps back and forth to resample."""
    config = {k: v for k, v in model.config.scheduler_config.items() if k in ("num_train_timesteps", "beta_schedule")}
    scheduler = RePaintScheduler.from_config(config, eta=1.0)
    scheduler.set_timesteps(steps, jump_length, jump_n_sample, device=x.device)
    t_last, total = scheduler.timesteps[0] + 1, len(scheduler.timesteps)
    for i, t in enumerate(scheduler.timesteps):
        if t < t_last:
            eps = model.guided_noise(x, t, labels, scale)
            x = scheduler.step(eps, t, x, original, known, generator).prev_sample
        else:
            x = scheduler.undo_step(x, t_last, generator)
        t_last = t
        if progress is not None:
            progress(i + 1, total)
    return x


def _classes(model, images, mask, class_labels, class_guide) -> torch.Tensor | None:
    """The class of each item to fill: as given, else as the guide reads the known pixels, else None."""
    if class_labels is not None:
        return model.labels_for(len(images), class_labels).cpu()
    if class_guide is None:
        return None
    if class_guide.config.num_classes != model.config.num_classes:
        raise ValueError(
            f"the class guide knows {class_guide.config.num_classes} classes, the model {model.config.num_classes}"
        )
    return class_guide.predict(images.to(class_guide.device), mask=mask.to(class_guide.device)).cpu()
