"""Convolutional blocks shared by the families that work on S x S images, S divisible by 4 (VAE, the GANs' cost
networks, the class- and text-conditioned generators); shapes below for S = 28 (Fashion-MNIST; 32: 16, 8).

Encoder: (N, C, 28, 28) -> conv s2 -> (N, c1, 14, 14) -> conv s2 -> (N, c2, 7, 7) -> flatten -> linear.
Decoder: the mirror image, with transposed convolutions.
Conditional generator: a conditioning vector (z with a class or text embedding, BigGAN-style) sets the gain
and bias of batch norm at every resolution.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def base_side(image_size: int) -> int:
    """The side of the innermost grid, two stride-2 stages in from the image (7 for 28)."""
    if image_size < 4 or image_size % 4:
        raise ValueError(f"the conv stacks need an image side divisible by 4, got {image_size}")
    return image_size // 4


class ConvEncoder(nn.Module):
    """x (N, C, 28, 28) -> features (N, out_features)."""

    def __init__(self, num_channels: int, channels: tuple[int, int], out_features: int, image_size: int = 28):
        super().__init__()
        c1, c2 = channels
        b = base_side(image_size)
        self.net = nn.Sequential(
            nn.Conv2d(num_channels, c1, 4, stride=2, padding=1),  # -> (N, c1, 14, 14)
            nn.LeakyReLU(0.2),
            nn.Conv2d(c1, c2, 4, stride=2, padding=1),  # -> (N, c2, 7, 7)
            nn.BatchNorm2d(c2),
            nn.LeakyReLU(0.2),
            nn.Flatten(),  # -> (N, c2 * 49)
            nn.Linear(c2 * b * b, out_features),
        )

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.net(images)


class ConvDecoder(nn.Module):
    """z (N, in_features) -> logits (N, C, 28, 28); the caller applies the output non-linearity."""

    def __init__(self, in_features: int, channels: tuple[int, int], num_channels: int, image_size: int = 28):
        super().__init__()
        c1, c2 = channels
        self.c2, self.b = c2, base_side(image_size)
        cells = c2 * self.b**2
        self.project = nn.Sequential(nn.Linear(in_features, cells), nn.BatchNorm1d(cells), nn.ReLU())
        self.net = nn.Sequential(
            nn.ConvTranspose2d(c2, c1, 4, stride=2, padding=1),  # -> (N, c1, 14, 14)
            nn.BatchNorm2d(c1),
            nn.ReLU(),
            nn.ConvTranspose2d(c1, num_channels, 4, stride=2, padding=1),  # -> (N, C, 28, 28)
        )

    def forward(self, latents: torch.Tensor) -> torch.Tensor:
        h = self.project(latents).view(-1, self.c2, self.b, self.b)  # (N, c2 * 49) -> (N, c2, 7, 7)
        return self.net(h)


class ConditionalBatchNorm2d(nn.Module):
    """BatchNorm without its own affine; gain and bias are linear in the conditioning vector."""

    def __init__(self, channels: int, cond_dim: int):
        super().__init__()
        self.norm = nn.BatchNorm2d(channels, affine=False)
        self.gain = nn.Linear(cond_dim, channels)
        self.bias = nn.Linear(cond_dim, channels)

    def forward(self, h: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        return self.norm(h) * (1 + self.gain(cond))[:, :, None, None] + self.bias(cond)[:, :, None, None]


class ConditionalGenerator(nn.Module):
    """cond (N, cond_dim) -> (N, C, 28, 28) in [-1, 1]."""

    def __init__(self, cond_dim: int, channels: tuple[int, int], num_channels: int, image_size: int = 28):
        super().__init__()
        c7, c14 = channels
        self.c7, self.b = c7, base_side(image_size)
        self.project = nn.Linear(cond_dim, c7 * self.b**2)
        self.norm7 = ConditionalBatchNorm2d(c7, cond_dim)
        self.up14 = nn.ConvTranspose2d(c7, c14, 4, stride=2, padding=1)  # -> (N, c14, 14, 14)
        self.norm14 = ConditionalBatchNorm2d(c14, cond_dim)
        self.up28 = nn.ConvTranspose2d(c14, num_channels, 4, stride=2, padding=1)  # -> (N, C, 28, 28)

    def forward(self, cond: torch.Tensor) -> torch.Tensor:
        h = self.project(cond).view(-1, self.c7, self.b, self.b)  # (N, c7 * 49) -> (N, c7, 7, 7)
        h = F.relu(self.norm7(h, cond))
        h = F.relu(self.norm14(self.up14(h), cond))
        return torch.tanh(self.up28(h))
