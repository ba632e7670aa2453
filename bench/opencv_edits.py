"""The six edits written again with OpenCV (warpAffine, warpPerspective), independently of genhub.models.walks, to
check that steering's verdict does not rest on one implementation of its targets: bench_steering.py --opencv
measures the walks against these. Rotate 3D uses another camera, a pinhole at 3 half-widths (genhub's: 2)."""

from __future__ import annotations

import math

import cv2
import numpy as np
import torch

CAMERA = 3.0  # half image widths


def _matrix(edit: str, alpha: float, w: int, h: int):
    """The forward map of output pixel centres, as OpenCV takes it: a 2x3 affine or a 3x3 homography."""
    cx, cy = (w - 1) / 2, (h - 1) / 2
    if edit == "zoom":
        return cv2.getRotationMatrix2D((cx, cy), 0.0, alpha)
    if edit == "shift_x":
        return np.float32([[1, 0, alpha], [0, 1, 0]])
    if edit == "shift_y":
        return np.float32([[1, 0, 0], [0, 1, alpha]])
    if edit == "rotate_2d":  # counter-clockwise on screen, as OpenCV's positive angle
        return cv2.getRotationMatrix2D((cx, cy), alpha, 1.0)
    # rotate_3d: the image plane turned by alpha about its vertical axis, seen from a pinhole at CAMERA half-widths
    t, d, half = math.radians(alpha), CAMERA, w / 2
    corners = np.float32([[-1, -1], [1, -1], [1, 1], [-1, 1]])
    seen = []
    for x, y in corners:
        depth = d - x * math.sin(t)  # the turned point's distance from the camera: > 0 brings the right side closer
        seen.append([x * math.cos(t) * d / depth, y * d / depth])
    to_pixels = lambda p: (np.float32(p) + 1) * half - 0.5  # noqa: E731
    return cv2.getPerspectiveTransform(to_pixels(corners), to_pixels(seen))


def edit(images: torch.Tensor, name: str, alpha: float) -> tuple[torch.Tensor, torch.Tensor]:
    """(edited images, in-frame mask), both (N, 1, H, W), for grey images (N, 1, H, W) in [0, 1]."""
    if name == "brightness":
        return (images + alpha).clamp(0, 1), torch.ones_like(images)
    n, _, h, w = images.shape
    m = _matrix(name, alpha, w, h)
    warp = cv2.warpPerspective if m.shape == (3, 3) else cv2.warpAffine
    out, masks = [], []
    ones = np.ones((h, w), np.float32)
    for image in images[:, 0].numpy().astype(np.float32):
        out.append(warp(image, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=0))
        masks.append(warp(ones, m, (w, h), flags=cv2.INTER_NEAREST, borderValue=0))
    return torch.from_numpy(np.stack(out))[:, None].clamp(0, 1), torch.from_numpy(np.stack(masks))[:, None]
