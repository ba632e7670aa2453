"""Steering a generator along learned latent walks (Jahanian et al. 2019) for the lecture's BigGAN edits
(zoom, shift X, shift Y, brightness, rotate 2D, rotate 3D); the edits themselves live with the walks model
(genhub.models.walks), as the targets the walks are trained on.

    steer(G, edit, alpha) = G(z + a * w_edit, y),  a = alpha mapped to [-1, 1]
"""

from __future__ import annotations

from pathlib import Path

import torch

from ..models import EBGAN, load_model
from ..models.walks import EDIT_RANGES, Walks, check_alpha, edit_images

EDITS = tuple(EDIT_RANGES)
__all__ = ["EDITS", "check_alpha", "edit_images", "steer", "walks_for"]


def walks_for(model) -> Walks:
    """The walks shipped beside a generator: `<its folder or repo id>-walks`."""
    source = str(getattr(model, "name_or_path", "") or model.config._name_or_path)
    if not source:
        raise ValueError("this generator has no name_or_path to find its walks by; pass walks=...")
    path = Path(source)
    candidate = str(path.with_name(path.name + "-walks")) if path.exists() else f"{source}-walks"
    return load_model(candidate)


@torch.no_grad()
def steer(
    model,
    edit,
    alpha: float | None = None,
    class_labels=None,
    latents=None,
    generator=None,
    walks: Walks | None = None,
    truncation: float = 1.0,
) -> torch.Tensor:
    """G(z + sum_e a_e w_e, y): `edit` is one edit name with `alpha`, or a dict {edit: alpha} of several.
    latents (N, d) or drawn from `generator` (one image per class label, or one if none is given)."""
    # 1. check the request
    if not isinstance(model, EBGAN):
        raise ValueError(f"steer needs a class-conditional GAN generator, got {type(model).__name__}")
    edits = dict(edit) if isinstance(edit, dict) else {edit: alpha}
    edits = {name: check_alpha(name, value) for name, value in edits.items()}
    walks = walks if walks is not None else walks_for(model)
    missing = [e for e in edits if e not in walks.config.edits]
    if missing or walks.config.latent_dim != model.config.latent_dim:
        raise ValueError(f"these walks do not fit this generator (missing {missing} or latent size differs)")
    # 2. the starting codes
    n = 1 if latents is not None or class_labels is None or isinstance(class_labels, (int, str)) else len(class_labels)
    latents, labels = model.sample_inputs(n, class_labels, latents, truncation, generator)
    # 3. walk and generate
    return model.generate(latents=walks(latents, edits), class_labels=labels)
