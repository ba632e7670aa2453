"""Convolutional blocks shared by the families that work on 28x28 images (VAE, EBGAN's cost network).

Encoder: (N, C, 28, 28) -> conv s2 -> (N, c1, 14, 14) -> conv s2 -> (N, c2, 7, 7) -> flatten -> linear.
Decoder: the mirror image, with transposed convolutions.
"""

from __future__ import annotations

import torch
from torch import nn


class ConvEncoder(nn.Module):
    """x (N, C, 28, 28) -> features (N, out_features)."""

    def __init__(self, num_channels: int, channels: tuple[int, int], out_features: int):
        super().__init__()
        c1, c2 = channels
        self.net = nn.Sequential(
            nn.Conv2d(num_channels, c1, 4, stride=2, padding=1),  # -> (N, c1, 14, 14)
            nn.LeakyReLU(0.2),
            nn.Conv2d(c1, c2, 4, stride=2, padding=1),  # -> (N, c2, 7, 7)
            nn.BatchNorm2d(c2),
            nn.LeakyReLU(0.2),
            nn.Flatten(),  # -> (N, c2 * 49)
            nn.Linear(c2 * 49, out_features),
        )

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.net(images)


class ConvDecoder(nn.Module):
    """z (N, in_features) -> logits (N, C, 28, 28); the caller applies the output non-linearity."""

    def __init__(self, in_features: int, channels: tuple[int, int], num_channels: int):
        super().__init__()
        c1, c2 = channels
        self.c2 = c2
        self.project = nn.Sequential(nn.Linear(in_features, c2 * 49), nn.BatchNorm1d(c2 * 49), nn.ReLU())
        self.net = nn.Sequential(
            nn.ConvTranspose2d(c2, c1, 4, stride=2, padding=1),  # -> (N, c1, 14, 14)
            nn.BatchNorm2d(c1),
            nn.ReLU(),
            nn.ConvTranspose2d(c1, num_channels, 4, stride=2, padding=1),  # -> (N, C, 28, 28)
        )

    def forward(self, latents: torch.Tensor) -> torch.Tensor:
        h = self.project(latents).view(-1, self.c2, 7, 7)  # (N, c2 * 49) -> (N, c2, 7, 7)
        return self.net(h)
