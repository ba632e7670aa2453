"""Sampling and latent-space walks for models with a decoder from z: the VAE and the class-conditional GANs.

sample:       z ~ N(0, I) (seeded; for GANs truncated: truncation * N(0, 1) cut to [-2, 2]), x = G(z, y) or Dec(z)
seed walk:    x_t = G((1 - t) z_a + t z_b, y), z_a and z_b drawn from two seeds
interpolate:  latent  x_t = Dec((1 - t) E(z_a) + t E(z_b))   beside   pixel  x_t = (1 - t) x_a + t x_b
traversal:    x_ij = Dec(E(z) + a_i e_p + b_j e_q)  over a grid of offsets on two latent dimensions
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from transformers.utils import ModelOutput

from ..images import validate_images
from ..models import require
from ..models.diffusion import DiffusionSamples
from ..models.ebgan import class_ids, truncated_normal

MAX_IMAGES = 256  # largest batch one call produces
MAX_STEPS = 32  # largest number of interpolation / traversal steps


def _require_vae(model) -> None:
    require(model, "latent_space", "this operation")


def _check_count(name: str, value: int, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{name} must be an integer in {low}..{high}, got {value!r}")
    return value


def truncated_noise_sample(
    batch_size: int = 1, dim_z: int = 64, truncation: float = 1.0, seed: int | None = None
) -> torch.Tensor:
    """BigGAN's vocabulary: (batch_size, dim_z) of truncation * N(0, 1) truncated to [-2, 2], so every
    value lies within +-2 * truncation; the same seed gives the same noise."""
    _check_count("batch_size", batch_size, 1, MAX_IMAGES)
    _check_count("dim_z", dim_z, 1, 4096)
    generator = torch.Generator().manual_seed(seed) if seed is not None else None
    return truncated_normal((batch_size, dim_z), truncation, generator)


def class_ids_from_names(names: list[str] | str, model) -> torch.Tensor:
    """Class ids (N,) for class names of a class-conditional model (case-insensitive)."""
    _require_gan(model)
    return class_ids([names] if isinstance(names, str) else names, model.config.class_names, model.config.num_classes)


def one_hot_from_names(names: list[str] | str, model) -> torch.Tensor:
    """BigGAN's vocabulary: one-hot vectors (N, num_classes) for class names; unknown names raise ValueError."""
    return torch.nn.functional.one_hot(class_ids_from_names(names, model), model.config.num_classes).float()


def _require_gan(model) -> None:
    require(model, "steer", "this operation")


@torch.no_grad()
def sample(
    model,
    num_images: int = 16,
    class_labels=None,
    truncation: float = 1.0,
    generator: torch.Generator | None = None,
    **denoising,
) -> torch.Tensor:
    """num_images from a VAE (z ~ N(0, I)), a GAN (truncated z, the given or random classes) or a diffusion model
    (`denoising`: its num_inference_steps, guidance_scale and sampler; truncation unused): (N, C, H, W) in [0, 1]."""
    _check_count("num_images", num_images, 1, MAX_IMAGES)
    require(model, "sample", "sample")
    accepted = model.sampling_options  # what its generate() takes beyond num_images and generator
    refused = sorted(set(denoising) - accepted)
    if refused:
        raise ValueError(
            f"{', '.join(refused)}: {type(model).__name__} does not take these (it takes: "
            f"{', '.join(sorted(accepted)) or 'no options'})"
        )
    options = denoising | {"class_labels": class_labels, "truncation": truncation}
    return model.generate(num_images, generator=generator, **{k: v for k, v in options.items() if k in accepted})


@torch.no_grad()
def denoising_trajectory(
    model,
    num_images: int = 4,
    class_labels=None,
    moments: int = 8,
    generator: torch.Generator | None = None,
    num_inference_steps: int | None = None,
    guidance_scale: float | None = None,
    sampler: str | None = None,
) -> DiffusionSamples:
    """A diffusion model's samples and x_t at `moments` moments from pure noise (first) to the image (last):
    "images" (N, C, H, W), "trajectory" (moments, N, C, H, W) in [0, 1], "timesteps" (t of each moment)."""
    require(model, "denoise", "a denoising trajectory")
    _check_count("num_images", num_images, 1, 16)
    _check_count("moments", moments, 2, MAX_STEPS)
    return model.sample(
        num_images, class_labels, generator, num_inference_steps, guidance_scale, sampler, trajectory_moments=moments
    )


@torch.no_grad()
def interpolate_seeds(
    model, seed_a: int, seed_b: int, steps: int = 8, class_label=0, truncation: float = 1.0
) -> torch.Tensor:
    """A strip (steps, C, H, W) from the GAN sample of seed_a to that of seed_b, linearly in z, one class."""
    _require_gan(model)
    _check_count("steps", steps, 2, MAX_STEPS)
    d = model.config.latent_dim
    z_a, z_b = (truncated_noise_sample(1, d, truncation, seed) for seed in (seed_a, seed_b))
    t = torch.linspace(0, 1, steps).view(-1, 1)  # (steps, 1)
    return model.generate(latents=(1 - t) * z_a + t * z_b, class_labels=[class_label])


@dataclass
class InterpolationOutput(ModelOutput):
    images: torch.Tensor | None = None  # (steps, C, H, W) the latent walk Dec((1 - t) E(z_a) + t E(z_b))
    latent: torch.Tensor | None = None  # the same as images
    pixel: torch.Tensor | None = None  # (steps, C, H, W) the pixel blend (1 - t) x_a + t x_b, for comparison


@torch.no_grad()
def interpolate(model, image_a: torch.Tensor, image_b: torch.Tensor, steps: int = 8) -> InterpolationOutput:
    """Walk from image_a to image_b (each (1, C, H, W)) in latent space and in pixel space; (steps, C, H, W) each."""
    _require_vae(model)
    _check_count("steps", steps, 2, MAX_STEPS)
    for image in (image_a, image_b):
        validate_images(image, model.config.num_channels, model.config.image_size)
    # 1. encode both ends to their posterior means
    mean_a, mean_b = model.encode(image_a)[0], model.encode(image_b)[0]  # (1, d) each
    # 2. straight lines in z and in x
    t = torch.linspace(0, 1, steps, device=mean_a.device).view(-1, 1)  # (steps, 1)
    latents = (1 - t) * mean_a + t * mean_b  # (steps, d)
    pixels = (1 - t.view(-1, 1, 1, 1)) * image_a + t.view(-1, 1, 1, 1) * image_b  # (steps, C, H, W)
    # 3. decode the latent path
    decoded = model.decode(latents)
    return InterpolationOutput(images=decoded, latent=decoded, pixel=pixels)


@torch.no_grad()
def latent_traversal(
    model,
    image: torch.Tensor | None = None,
    dims: tuple[int, int] = (0, 1),
    span: float = 3.0,
    steps: int = 7,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Decode a steps x steps grid of offsets in [-span, span] on latent dims (p, q) around E(z) of the
    image (or around a z ~ N(0, I) sample). Returns (steps * steps, C, H, W), row = dim p, column = dim q."""
    _require_vae(model)
    _check_count("steps", steps, 2, MAX_STEPS)
    d = model.config.latent_dim
    p, q = dims
    for dim in (p, q):
        _check_count("latent dimension", dim, 0, d - 1)
    if not (isinstance(span, (int, float)) and 0 < span <= 10):
        raise ValueError(f"span must be a number in (0, 10], got {span!r}")
    # 1. the centre of the grid
    if image is not None:
        validate_images(image[:1], model.config.num_channels, model.config.image_size)
        centre = model.encode(image[:1])[0][0]  # (d,)
    else:
        centre = torch.randn(d, generator=generator).to(model.device, model.dtype)
    # 2. the grid of offsets: (steps, steps, d) -> (steps * steps, d)
    offsets = torch.linspace(-span, span, steps, device=centre.device, dtype=centre.dtype)
    latents = centre.repeat(steps, steps, 1)
    latents[:, :, p] += offsets.view(-1, 1)
    latents[:, :, q] += offsets.view(1, -1)
    # 3. decode
    return model.decode(latents.view(-1, d))
