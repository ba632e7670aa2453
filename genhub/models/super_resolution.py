"""Learned super-resolution for the dataset's domain (srez, Garcia 2016), and the small residual CNN the
internal (single-image, zero-shot) method trains at test time (Shocher et al. 2018, after Glasner 2009).

    x_up   = bicubic(x_lr, scale)                       the baseline
    x_hat  = clamp(x_up + f(x_up - c), 0, 1)            a residual over bicubic (c: the input's mean when the
                                                        config centres it, else 0)
    L      = 1/m sum_j ||x_hat_j - x_j||_1  +  w_adv * softplus(-D(x_hat_j))     (srez: pixel + adversarial)
Source: Canziani, Foundations of Deep Learning, "Super resolution" slide (../shared/lecture).
"""

from __future__ import annotations

import random
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


def rgb_to_ycbcr(rgb: torch.Tensor) -> torch.Tensor:
    """(N, 3, H, W) RGB in [0, 1] -> YCbCr in [0, 1] (BT.601, full range)."""
    r, g, b = rgb.unbind(1)
    y = 0.299 * r + 0.587 * g + 0.114 * b
    return torch.stack([y, (b - y) * 0.564 + 0.5, (r - y) * 0.713 + 0.5], dim=1)


def ycbcr_to_rgb(ycc: torch.Tensor) -> torch.Tensor:
    y, cb, cr = ycc[:, 0], ycc[:, 1] - 0.5, ycc[:, 2] - 0.5
    r, b = y + cr / 0.713, y + cb / 0.564
    g = (y - 0.299 * r - 0.114 * b) / 0.587
    return torch.stack([r, g, b], dim=1).clamp(0, 1)


def grey_as_ycbcr(grey: torch.Tensor) -> torch.Tensor:
    """(N, 1, H, W) grey -> (N, 3, H, W) YCbCr with neutral chroma, for a net that learned colour photos."""
    return torch.cat([grey, torch.full_like(grey, 0.5), torch.full_like(grey, 0.5)], dim=1)


def to_ycbcr(images: torch.Tensor) -> torch.Tensor:
    """RGB (N, 3, H, W) or grey (N, 1, H, W) -> YCbCr (N, 3, H, W), what a colour (YCbCr) model sees."""
    return rgb_to_ycbcr(images) if images.shape[1] == 3 else grey_as_ycbcr(images)


def from_ycbcr(ycc: torch.Tensor, channels: int) -> torch.Tensor:
    """The inverse of to_ycbcr for images that had `channels` channels (3: RGB, 1: grey, luminance kept)."""
    return ycbcr_to_rgb(ycc) if channels == 3 else ycc[:, :1]


def dihedral(x: torch.Tensor, k: int) -> torch.Tensor:
    """One of the 8 flips/rotations of (N, C, H, W)."""
    x = torch.rot90(x, k % 4, dims=(2, 3))
    return x.flip(3) if k >= 4 else x


def undo_dihedral(x: torch.Tensor, k: int) -> torch.Tensor:
    """The inverse of dihedral(., k)."""
    x = x.flip(3) if k >= 4 else x
    return torch.rot90(x, -(k % 4), dims=(2, 3))


def crop_weights(father: torch.Tensor, crop: int) -> list[float]:
    """Cumulative sampling weights of every crop position of a father (row-major): 80% by the crop's gradient
    energy, 20% uniform, so training sees edges and texture more than flat sky (ZSSR samples crops likewise)."""
    dy, dx = father.diff(dim=2).abs(), father.diff(dim=3).abs()
    energy = F.pad(dy, (0, 0, 0, 1)) + F.pad(dx, (0, 1, 0, 0))  # (1, 1, H, W)
    windows = F.avg_pool2d(energy, crop, stride=1).flatten()  # one value per crop position
    weights = 0.8 * windows / windows.sum().clamp_min(1e-12) + 0.2 / len(windows)
    return weights.cumsum(0).tolist()


def training_crops(
    fathers: list[torch.Tensor], weights: list[list[float]], crop: int, batch: int, rng: random.Random
) -> torch.Tensor:
    """Crops of random fathers, flipped/rotated, positions by crop_weights, the larger fathers favoured:
    (batch, C, crop, crop), the targets a super-resolution net learns to restore from their downscaled copies."""
    crops = []
    for _ in range(batch):
        i = min(rng.randrange(len(fathers)), rng.randrange(len(fathers)))  # favour the large ones
        father, columns = fathers[i], fathers[i].shape[3] - crop + 1
        (position,) = rng.choices(range(len(weights[i])), cum_weights=weights[i])
        top, left = divmod(position, columns)
        crops.append(dihedral(father[:, :, top : top + crop, left : left + crop], rng.randrange(8)))
    return torch.cat(crops)


class SuperResolutionConfig(PretrainedConfig):
    model_type = "genhub_super_resolution"

    def __init__(
        self,
        scale: int = 4,  # upscaling factor: 2 (14x14 -> 28x28) or 4 (7x7 -> 28x28)
        num_channels: int = 1,  # image channels
        hidden_channels: int = 64,  # width of the residual CNN
        num_layers: int = 6,  # 3x3 convolutions in the residual CNN
        adversarial_weight: float = 0.0,  # w_adv of the srez adversarial term (0 = pixel loss only)
        negative_slope: float = 0.0,  # of the leaky ReLUs between the convolutions (0: plain ReLUs)
        centre_input: bool = False,  # the net sees the upscaled input less each image's mean (photos' varied levels)
        colour_space: str = "",  # "ycbcr": 3-channel inputs are YCbCr (BT.601); "": as given
        **kwargs,
    ):
        if scale not in SCALES:
            raise ValueError(f"scale must be one of {SCALES}, got {scale}")
        if num_channels < 1 or hidden_channels < 1 or num_layers < 2:
            raise ValueError("num_channels and hidden_channels must be positive and num_layers >= 2")
        if colour_space not in ("", "ycbcr"):
            raise ValueError(f'colour_space must be "" or "ycbcr", got {colour_space!r}')
        if not adversarial_weight >= 0:
            raise ValueError(f"adversarial_weight must be >= 0, got {adversarial_weight}")
        self.scale = scale
        self.num_channels = num_channels
        self.hidden_channels = hidden_channels
        self.num_layers = num_layers
        self.adversarial_weight = float(adversarial_weight)
        self.negative_slope = float(negative_slope)
        self.centre_input = bool(centre_input)
        self.colour_space = colour_space
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
    capabilities = frozenset({"super_resolve"})  # genhub.models.CAPABILITIES

    def __init__(self, config: SuperResolutionConfig):
        super().__init__(config)
        self.residual = residual_cnn(
            config.num_channels, config.hidden_channels, config.num_layers, config.negative_slope
        )
        self.post_init()

    def _init_weights(self, module):  # keep PyTorch's defaults and the zero-initialised last layer
        pass

    def forward(self, images: torch.Tensor, targets: torch.Tensor | None = None) -> SuperResolutionOutput:
        """Low-resolution images (N, C, h, w) in [0, 1] -> (N, C, h * scale, w * scale)."""
        s = self.config.scale
        up = bicubic(images, (images.shape[2] * s, images.shape[3] * s))
        centre = images.mean(dim=(2, 3), keepdim=True) if self.config.centre_input else 0
        x_hat = (up + self.residual(up - centre)).clamp(0, 1)
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
