"""Caption-to-image operations over the text-conditioned GAN (GAN-INT-CLS, Reed et al. 2016).

caption walk:  x_t = G(z, normalize((1 - t) phi(c_a) + t phi(c_b)))   one z, the text embedding interpolated (GAN-INT)
same-z grid:   x_ij = G(z_j, phi(c_i))                                 style (z, columns) against content (caption, rows)
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ..models import require

MAX_STEPS = 16  # longest caption walk


@dataclass
class CaptionWalkOutput:
    images: torch.Tensor  # (steps, C, H, W): the walk from caption a to caption b, one z
    same_z: torch.Tensor  # (2 * columns, C, H, W): row 1 caption a, row 2 caption b, the same z per column
    unknown_words: list[str]  # words of the captions the model's vocabulary does not know
    unknown_colours: list[str]  # colour names in the captions the model cannot show


@torch.no_grad()
def caption_walk(
    model, caption_a: str, caption_b: str, steps: int = 8, columns: int = 6, generator: torch.Generator | None = None
) -> CaptionWalkOutput:
    """Interpolate between two captions in the text embedding (one z), and show the same z under both captions."""
    # 1. check the request
    require(model, "caption", "caption_walk")
    for name, value, high in (("steps", steps, MAX_STEPS), ("columns", columns, 12)):
        if isinstance(value, bool) or not isinstance(value, int) or not 2 <= value <= high:
            raise ValueError(f"{name} must be an integer in 2..{high}, got {value!r}")
    # 2. the interpolated text embeddings, one z for the whole walk
    ends = model.encode_text([caption_a, caption_b])  # (2, d)
    t = torch.linspace(0, 1, steps, device=ends.device, dtype=ends.dtype)[:, None]
    text = F.normalize((1 - t) * ends[:1] + t * ends[1:], dim=1)  # GAN-INT's interpolation
    z = torch.randn(1, model.config.latent_dim, generator=generator).to(ends.device, ends.dtype).repeat(steps, 1)
    walk = model.generate(None, text_embeddings=text, latents=z)
    # 3. style and content: the same z (columns) under each caption (rows)
    zs = torch.randn(columns, model.config.latent_dim, generator=generator).to(ends.device, ends.dtype)
    grid = torch.cat([model.generate([c], num_images_per_caption=columns, latents=zs) for c in (caption_a, caption_b)])
    return CaptionWalkOutput(
        images=walk,
        same_z=grid,
        unknown_words=sorted({w for c in (caption_a, caption_b) for w in model.unknown_words(c)}),
        unknown_colours=sorted({w for c in (caption_a, caption_b) for w in model.unknown_colours(c)}),
    )
