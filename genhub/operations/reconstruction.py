"""Reconstruction through any autoencoder of the family, with the lecture's corruption p(x_tilde | x).

x_tilde ~ p(x_tilde | x),  x_hat = Dec(Enc(x_tilde)),  error = l(x, x_hat) per image
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from transformers.utils import ModelOutput

from ..images import validate_images
from ..models import require
from ..models.autoencoder import corrupt, reconstruction_loss


@dataclass
class ReconstructionOutput(ModelOutput):
    images: torch.Tensor | None = None  # (N, C, H, W) the reconstructions x_hat, in [0, 1]
    corrupted: torch.Tensor | None = None  # x_tilde, the encoder's input
    reconstruction: torch.Tensor | None = None  # the same as images (named as the lecture does)
    loss: torch.Tensor | None = None  # (N,) the model's own loss l(x, x_hat) against the clean input
    psnr: torch.Tensor | None = None  # (N,) dB against the clean input


@torch.no_grad()
def reconstruct(
    model,
    images: torch.Tensor,
    noise_type: str = "none",
    noise_level: float = 0.0,
    generator: torch.Generator | None = None,
) -> ReconstructionOutput:
    """Corrupt, encode, decode. Returns corrupted and reconstruction (N, C, H, W) in [0, 1], the
    per-image loss against the clean input (the model's own l, nats for BCE) and per-image PSNR (dB)."""
    require(model, "reconstruct", "reconstruct")
    # 1. check the input against the model
    validate_images(images, model.config.num_channels, model.config.image_size)
    # 2. sample x_tilde ~ p(x_tilde | x)
    corrupted = corrupt(images, noise_type, float(noise_level), generator)
    # 3. encode and decode (the VAE decodes its mean E(z))
    reconstruction = model.reconstruct(corrupted)
    # 4. score against the clean images, one figure per image
    errors = torch.stack(
        [
            reconstruction_loss(x[None], r[None], model.config.reconstruction_loss)
            for x, r in zip(images, reconstruction.clamp(1e-6, 1 - 1e-6))
        ]
    )
    mse = (images - reconstruction).pow(2).flatten(1).mean(1).clamp_min(1e-12)
    psnr = 10 * torch.log10(1 / mse)
    return ReconstructionOutput(
        images=reconstruction, corrupted=corrupted, reconstruction=reconstruction, loss=errors, psnr=psnr
    )
