"""Differentiable augmentation for GANs on small datasets (DiffAugment, Zhao et al. 2020): the same random
transformations are applied to real and generated images before the cost network sees them, in both updates, so
the discriminator cannot memorise a few thousand images and its gradients still reach the generator.

Written here rather than taken from kornia: every draw comes from the training loop's own torch.Generator, so a run
resumed from a saved epoch replays the same augmentations as an uninterrupted one (kornia draws from the global RNG).
Images are in [0, 1]; translation fills with the image's border (the emoji's white background), not black.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

POLICIES = ("color", "translation", "cutout")


def check_policy(policy: str) -> tuple[str, ...]:
    """ "color,translation,cutout" -> its parts, refusing unknown ones ("" -> no augmentation)."""
    parts = tuple(p.strip() for p in policy.split(",") if p.strip())
    unknown = [p for p in parts if p not in POLICIES]
    if unknown:
        raise ValueError(f"unknown DiffAugment parts {unknown}; known: {', '.join(POLICIES)}")
    return parts


def _uniform(x: torch.Tensor, generator: torch.Generator, low: float, high: float) -> torch.Tensor:
    return low + (high - low) * torch.rand(len(x), 1, 1, 1, generator=generator).to(x)


def _color(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Brightness +U(-0.5, 0.5)/2 (the paper's on [-1, 1] images), saturation x U(0, 2), contrast x U(0.5, 1.5)."""
    x = x + _uniform(x, generator, -0.25, 0.25)
    grey = x.mean(dim=1, keepdim=True)
    x = grey + (x - grey) * _uniform(x, generator, 0.0, 2.0)
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    return mean + (x - mean) * _uniform(x, generator, 0.5, 1.5)


def _translation(x: torch.Tensor, generator: torch.Generator, ratio: float = 0.125) -> torch.Tensor:
    """Each image moved by a whole number of pixels up to `ratio` of its side, the border pixels extended."""
    n, _, h, w = x.shape
    shift = torch.stack(
        [torch.randint(-round(s * ratio), round(s * ratio) + 1, (n,), generator=generator) for s in (w, h)], 1
    ).to(x.device, x.dtype)
    theta = torch.zeros(n, 2, 3, device=x.device, dtype=x.dtype)
    theta[:, 0, 0] = theta[:, 1, 1] = 1
    theta[:, :, 2] = -2 * shift / torch.tensor([w, h], device=x.device, dtype=x.dtype)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="nearest", padding_mode="border", align_corners=False)


def _cutout(x: torch.Tensor, generator: torch.Generator, ratio: float = 0.5) -> torch.Tensor:
    """A square of half the side, at a random place in each image, set to 0."""
    n, _, h, w = x.shape
    ch, cw = round(h * ratio), round(w * ratio)
    top = torch.randint(0, h - ch + 1, (n, 1, 1), generator=generator).to(x.device)
    left = torch.randint(0, w - cw + 1, (n, 1, 1), generator=generator).to(x.device)
    rows = torch.arange(h, device=x.device)[None, :, None]
    cols = torch.arange(w, device=x.device)[None, None, :]
    hole = (rows >= top) & (rows < top + ch) & (cols >= left) & (cols < left + cw)
    return x * (~hole)[:, None].to(x.dtype)


_OPS = {"color": _color, "translation": _translation, "cutout": _cutout}


def diff_augment(x: torch.Tensor, policy: tuple[str, ...], generator: torch.Generator) -> torch.Tensor:
    """x (N, C, H, W) in [0, 1] through the policy's transformations, each drawn per image from `generator`
    (a CPU generator); differentiable in x. An empty policy returns x itself."""
    for part in policy:
        x = _OPS[part](x, generator)
    return x


def fake_labels(real: torch.Tensor, num_classes: int, from_data: bool, noise: torch.Generator) -> torch.Tensor:
    """The classes the generator is asked for in a batch: uniform, or (from_data) the real batch's labels shuffled,
    so a class as rare in the data as in the game (the emoji's groups range from 2% to 60%)."""
    if from_data:
        return real[torch.randperm(len(real), generator=noise, device=noise.device).to(real.device)]
    return torch.randint(num_classes, (len(real),), generator=noise, device=real.device)
