"""Learned super-resolution for the dataset's domain (srez, Garcia 2016), and the small residual CNN the
internal (single-image, zero-shot) method trains at test time (Shocher et al. 2018, after Glasner 2009).

    x_up   = bicubic(x_lr, scale)                       the baseline
    x_hat  = clamp(x_up + f(x_up), 0, 1)                a residual over bicubic
    L      = 1/m sum_j ||x_hat_j - x_j||_1  +  w_adv * softplus(-D(x_hat_j))     (srez: pixel + adversarial)
Source: Canziani, Foundations of Deep Learning, "Super resolution" slide (../shared/lecture).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from transformers import PretrainedConfig, PreTrainedModel
from transformers.utils import ModelOutput

SCALES = (2, 4)


def bicubic(images: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Resize (N, C, H, W) in [0, 1] to `size` with bicubic interpolation (antialiased when shrinking)."""
    shrinking = size[0] < images.shape[2] or size[1] < images.shape[3]
    return F.interpolate(images, size=size, mode="bicubic", align_corners=False, antialias=shrinking).clamp(0, 1)


def residual_cnn(channels: int, width: int, depth: int, negative_slope: float = 0.0) -> nn.Sequential:
    """depth 3x3 convolutions (ReLU between, leaky when negative_slope > 0) from `channels` to `channels`; the
    last one starts at zero."""
    layers, c = [], channels
    for _ in range(depth - 1):
        layers += [nn.Conv2d(c, width, 3, padding=1), nn.LeakyReLU(negative_slope) if negative_slope else nn.ReLU()]
        c = width
    last = nn.Conv2d(c, channels, 3, padding=1)
    nn.init.zeros_(last.weight)
    nn.init.zeros_(last.bias)
    return nn.Sequential(*layers, last)


class SuperResolutionConfig(PretrainedConfig):
    model_type = "genhub_super_resolution"

    def __init__(
        self,
        scale: int = 4,  # upscaling factor: 2 (14x14 -> 28x28) or 4 (7x7 -> 28x28)
        num_channels: int = 1,  # image channels
        hidden_channels: int = 64,  # width of the residual CNN
        num_layers: int = 6,  # 3x3 convolutions in the residual CNN
        adversarial_weight: float = 0.0,  # w_adv of the srez adversarial term (0 = pixel loss only)
        **kwargs,
    ):
        if scale not in SCALES:
            raise ValueError(f"scale must be one of {SCALES}, got {scale}")
        if num_channels < 1 or hidden_channels < 1 or num_layers < 2:
            raise ValueError("num_channels and hidden_channels must be positive and num_layers >= 2")
        if not adversarial_weight >= 0:
            raise ValueError(f"adversarial_weight must be >= 0, got {adversarial_weight}")
        self.scale = scale
        self.num_channels = num_channels
        self.hidden_channels = hidden_channels
        self.num_layers = num_layers
        self.adversarial_weight = float(adversarial_weight)
        super().__init__(**kwargs)


@dataclass
class SuperResolutionOutput(ModelOutput):
    loss: torch.Tensor | None = None  # L1 pixel loss per image (sum over pixels), mean over the batch
    images: torch.Tensor | None = None  # x_hat, (N, C, H * scale, W * scale) in [0, 1]
    bicubic: torch.Tensor | None = None  # the bicubic baseline, same shape


class SuperResolution(PreTrainedModel):
    config_class = SuperResolutionConfig
    base_model_prefix = "super_resolution"
    main_input_name = "images"

    def __init__(self, config: SuperResolutionConfig):
        super().__init__(config)
        self.residual = residual_cnn(config.num_channels, config.hidden_channels, config.num_layers)
        self.post_init()

    def _init_weights(self, module):  # keep PyTorch's defaults and the zero-initialised last layer
        pass

    def forward(self, images: torch.Tensor, targets: torch.Tensor | None = None) -> SuperResolutionOutput:
        """Low-resolution images (N, C, h, w) in [0, 1] -> (N, C, h * scale, w * scale)."""
        s = self.config.scale
        up = bicubic(images, (images.shape[2] * s, images.shape[3] * s))
        x_hat = (up + self.residual(up)).clamp(0, 1)
        loss = (x_hat - targets).abs().flatten(1).sum(1).mean() if targets is not None else None
        return SuperResolutionOutput(loss=loss, images=x_hat, bicubic=up)


class PatchDiscriminator(nn.Module):
    """D(x) for the adversarial term, used in training only (not part of the checkpoint)."""

    def __init__(self, num_channels: int = 1, width: int = 32):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(num_channels, width, 4, stride=2, padding=1),
            nn.LeakyReLU(0.2),  # -> H / 2
            nn.Conv2d(width, 2 * width, 4, stride=2, padding=1),
            nn.LeakyReLU(0.2),  # -> H / 4
            nn.Conv2d(2 * width, 1, 3, padding=1),  # one logit per patch
        )

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.net(images * 2 - 1).flatten(1).mean(1)
