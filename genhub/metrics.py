"""Evaluation figures: reconstruction losses, contraction, ELBO, PSNR.

All losses follow the lecture's convention: per-image sum over pixels, mean over images (nats/image
for BCE and the ELBO).
"""

from __future__ import annotations

import torch

from .models.autoencoder import NOISE_TYPES, corrupt, reconstruction_loss


def psnr(images: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
    """Peak signal-to-noise ratio in dB per image, for images in [0, 1]; shape (N,)."""
    mse = (images - reference).pow(2).flatten(1).mean(1).clamp_min(1e-12)
    return 10 * torch.log10(1.0 / mse)


def _batches(images: torch.Tensor, batch_size: int):
    for start in range(0, len(images), batch_size):
        yield images[start:start + batch_size]


@torch.no_grad()
def evaluate_autoencoder(model, images: torch.Tensor, noise_level: float = 0.5, seed: int = 0,
                         batch_size: int = 1000) -> dict[str, float]:
    """Test figures: clean loss (the model's own l), per-pixel MSE, PSNR, mean ||dh/dx||_F^2, and the
    loss against the clean image when the input is corrupted by each noise type at `noise_level`."""
    model.eval()
    kind = model.config.reconstruction_loss
    sums: dict[str, float] = {}
    generator = torch.Generator().manual_seed(seed)
    for x in _batches(images, batch_size):
        x_hat = model.decode(model.encode(x))
        parts = {
            "loss": reconstruction_loss(x, x_hat, kind),
            "mse_per_pixel": (x - x_hat).pow(2).mean(),
            "psnr_db": psnr(x_hat, x).mean(),
            "jacobian_frobenius_sq": model.contractive_penalty(x).mean(),
        }
        for noise in NOISE_TYPES[1:]:
            x_tilde = corrupt(x, noise, noise_level, generator)
            parts[f"loss_{noise}"] = reconstruction_loss(x, model.decode(model.encode(x_tilde)), kind)
        for name, value in parts.items():
            sums[name] = sums.get(name, 0.0) + float(value) * len(x)
    return {name: total / len(images) for name, total in sums.items()}


@torch.no_grad()
def evaluate_vae(model, images: torch.Tensor, seed: int = 0, batch_size: int = 1000) -> dict[str, float]:
    """Test figures in nats per image: -ELBO = reconstruction + KL (beta = 1, one z sample per image),
    its two terms, the trained objective (with the model's beta), and active latent units (Var E(z) > 0.01)."""
    model.eval()
    generator = torch.Generator().manual_seed(seed)
    totals = {"reconstruction": 0.0, "kl": 0.0}
    means = []
    for x in _batches(images, batch_size):
        out = model(x, generator=generator)
        totals["reconstruction"] += float(out.reconstruction_loss) * len(x)
        totals["kl"] += float(out.kl) * len(x)
        means.append(out.mean)
    rec, kl = totals["reconstruction"] / len(images), totals["kl"] / len(images)
    active = int((torch.cat(means).var(0) > 0.01).sum())
    return {"negative_elbo": rec + kl, "reconstruction": rec, "kl": kl,
            "objective": rec + model.config.beta * kl, "active_units": active}
