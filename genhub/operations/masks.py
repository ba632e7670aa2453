"""Masks for inpainting: the preset holes the Space and the bench offer, the check every mask goes through, the
context weights W of the prior's search (Yeh et al. 2017): 0 on missing pixels; for a known pixel, CONTEXT_FLOOR + the
share of missing pixels in its 7x7 window (it counts by how close it is to the hole, and the whole context counts),
and the Poisson blend of a fill into the known pixels.
Masks are (N, 1, H, W), 1 = missing (fill), 0 = known; values above MASK_THRESHOLD count as missing."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

MASK_THRESHOLD = 0.5  # mask values above this are missing pixels
CONTEXT_FLOOR = 0.1  # weight of a known pixel far from the hole
PRESET_MASKS = ("centre square", "left half", "random blocks", "strokes")  # the masks the Space and bench offer


def stroke_mask(generator: torch.Generator | None = None, strokes: int = 2, size: int = 28) -> torch.Tensor:
    """(1, size, size): `strokes` brush strokes, each 3 joined segments 2 px wide between random points (like a mask
    drawn by hand), drawn with OpenCV."""
    import cv2

    canvas = np.zeros((size, size), np.uint8)
    for _ in range(strokes):
        points = torch.randint(2, size - 2, (4, 2), generator=generator).tolist()
        for (x0, y0), (x1, y1) in zip(points, points[1:]):
            cv2.line(canvas, (x0, y0), (x1, y1), 1, thickness=2)
    return torch.from_numpy(canvas).float()[None]


def preset_mask(
    kind: str, num_images: int = 1, generator: torch.Generator | None = None, size: int = 28
) -> torch.Tensor:
    """(N, 1, size, size), 1 = missing: the centre half-side square, the left half, 4 random blocks of 2/7 of the side
    or 2 random brush strokes per image (drawn from `generator`); at 28 px the squares are 14x14 and 8x8."""
    if kind not in PRESET_MASKS:
        raise ValueError(f"mask must be one of {', '.join(PRESET_MASKS)}, got {kind!r}")
    mask = torch.zeros(num_images, 1, size, size)
    quarter, block = size // 4, round(size * 2 / 7)
    if kind == "centre square":
        mask[..., quarter : size - quarter, quarter : size - quarter] = 1
    elif kind == "left half":
        mask[..., : size // 2] = 1
    elif kind == "strokes":
        mask = torch.stack([stroke_mask(generator, size=size) for _ in range(num_images)])
    else:
        for i in range(num_images):
            for top, left in torch.randint(0, size - block + 1, (4, 2), generator=generator).tolist():
                mask[i, :, top : top + block, left : left + block] = 1
    return mask


def binary_mask(mask: torch.Tensor, images: torch.Tensor) -> torch.Tensor:
    """Check a mask against the images and return it as {0, 1} floats (> 0.5 = missing)."""
    if not isinstance(mask, torch.Tensor) or mask.ndim != 4 or mask.shape[1] != 1:
        raise ValueError("mask must be a tensor of shape (N, 1, H, W), 1 where pixels are missing")
    if mask.shape[0] != images.shape[0] or mask.shape[2:] != images.shape[2:]:
        raise ValueError(f"mask {tuple(mask.shape)} does not match images {tuple(images.shape)}")
    if not torch.isfinite(mask).all():
        raise ValueError("mask contains NaN or infinite values")
    return (mask.float() > MASK_THRESHOLD).float()


def context_weights(mask: torch.Tensor, window: int = 7) -> torch.Tensor:
    """W: 0 on missing pixels; CONTEXT_FLOOR + share of missing pixels in the window on known ones."""
    near = F.avg_pool2d(mask, window, stride=1, padding=window // 2, count_include_pad=False)
    return (1 - mask) * (CONTEXT_FLOOR + near)


def poisson_blend(fill: torch.Tensor, images: torch.Tensor, mask: torch.Tensor, iterations: int = 400) -> torch.Tensor:
    """Solve lap(x) = lap(fill) inside the hole with x = images outside it (Jacobi iterations, Neumann
    borders at the image edge); known pixels are copied from `images` exactly."""
    kernel = torch.tensor([[0.0, 1.0, 0.0], [1.0, 0.0, 1.0], [0.0, 1.0, 0.0]], device=images.device).view(1, 1, 3, 3)
    kernel = kernel.repeat(images.shape[1], 1, 1, 1)
    c = images.shape[1]

    def neighbours(x):  # sum of the 4 neighbours, replicate padding = Neumann border
        return F.conv2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), kernel, groups=c)

    guide = 4 * fill - neighbours(fill)  # -lap(fill)
    x = torch.where(mask.bool(), fill, images)
    for _ in range(iterations):
        x = torch.where(mask.bool(), ((neighbours(x) + guide) / 4), images)
    return torch.where(mask.bool(), x.clamp(0, 1), images)
