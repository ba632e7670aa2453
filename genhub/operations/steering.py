"""Steering a generator along latent walks for the lecture's BigGAN edits (zoom, shift X, shift Y, brightness,
rotate 2D, rotate 3D), and the directions the generator found by itself.

    learned walk  (Jahanian et al. 2019):  steer(G, e, alpha) = G(z + a * w_e, y),  a = EDITS[e].step(alpha)
    discovered    (SeFa, Shen & Zhou 2021): the top eigenvectors n_k of A^T A, A = the z-columns of G's first
                  layer (the directions along which that layer's output changes most), x_t = G(z + t * n_k, y)

The edits themselves (the walks' training targets) live with the walks model, genhub.models.walks.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import torch

from ..models import load_model, require
from ..models.walks import EDITS, Walks, check_alpha, edit_images, project

__all__ = [
    "EDITS",
    "DiscoveredDirections",
    "SteeringOutput",
    "check_alpha",
    "discover_directions",
    "edit_images",
    "steer",
    "walk_strip",
    "walks_for",
]

MAX_FRAMES = 15  # longest walk strip
_WALKS: dict[str, Walks] = {}  # generator's source -> its walks, loaded once
_LOCK = threading.Lock()


@dataclass
class SteeringOutput:
    images: torch.Tensor  # (frames, C, H, W): the walk G(z + a_t w), in [0, 1]
    targets: torch.Tensor  # (frames, C, H, W): edit(G(z), alpha_t), what the walk aims at
    alphas: list[float]  # alpha of each frame, in the edit's unit


@dataclass
class DiscoveredDirections:
    directions: torch.Tensor  # (K, latent_dim), unit length, strongest first
    strengths: torch.Tensor  # (K,) eigenvalues of A^T A
    effects: list[str]  # per direction: the edit measure it changes most, e.g. "shift_x (+1.9 px)"
    cosine_to_walks: list[dict[str, float]]  # per direction: |cos| to each learned walk
    images: torch.Tensor | None = None  # (K * frames, C, H, W) strips, one row per direction, when asked for


def _require_gan(model) -> None:
    require(model, "steer", "steering")


def walks_for(model) -> Walks:
    """The walks shipped beside a generator (`<its folder or repo id>-walks`), loaded once per generator."""
    source = str(getattr(model, "name_or_path", "") or model.config._name_or_path)
    if not source:
        raise ValueError("this generator has no name_or_path to find its walks by; pass walks=...")
    with _LOCK:
        if source not in _WALKS:
            path = Path(source)
            candidate = str(path.with_name(path.name + "-walks")) if path.exists() else f"{source}-walks"
            _WALKS[source] = load_model(candidate)
        return _WALKS[source]


def _checked_walks(model, walks: Walks | None, edits) -> Walks:
    walks = walks if walks is not None else walks_for(model)
    missing = [e for e in edits if e not in walks.config.edits]
    if missing or walks.config.latent_dim != model.config.latent_dim:
        raise ValueError(f"these walks do not fit this generator (missing {missing} or latent size differs)")
    return walks


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
    project_steps: int = 0,
) -> torch.Tensor:
    """G(z + sum_e a_e w_e, y): `edit` is one edit name with `alpha`, or a dict {edit: alpha} of several.
    latents (N, d) or drawn from `generator` (one image per class label, or one if none is given).
    project_steps > 0: the walked codes are then projected onto the edits of G(z, y) (`genhub.models.walks.project`;
    several edits applied in the dict's order). Returns the images (N, C, H, W) in [0, 1]."""
    # 1. check the request
    _require_gan(model)
    edits = dict(edit) if isinstance(edit, dict) else {edit: alpha}
    edits = {name: check_alpha(name, value) for name, value in edits.items()}
    walks = _checked_walks(model, walks, edits)
    # 2. the starting codes
    n = 1 if latents is not None or class_labels is None or isinstance(class_labels, (int, str)) else len(class_labels)
    latents, labels = model.sample_inputs(n, class_labels, latents, truncation, generator)
    # 3. walk (and project) and generate
    walked = walks(latents.to(walks.directions.dtype), edits).to(latents)
    if project_steps:
        target, mask = model.generate(latents=latents, class_labels=labels), 1.0
        for name, value in edits.items():
            target, inside = edit_images(target, name, value)
            mask = mask * inside
        walked = project(model, walked, labels, target, mask, project_steps)
    return model.generate(latents=walked, class_labels=labels)


@torch.no_grad()
def walk_strip(
    model,
    edit: str,
    alpha: float,
    frames: int = 9,
    class_labels=None,
    latents=None,
    generator=None,
    walks: Walks | None = None,
    truncation: float = 1.0,
    project_steps: int = 0,
) -> SteeringOutput:
    """One item walked from the mirror of alpha to alpha (zoom: 1/alpha to alpha) in `frames` steps, beside the
    target edit of its first image at each step. One forward pass for the whole strip, or with project_steps > 0
    each frame's code then projected onto its target (`genhub.models.walks.project`)."""
    # 1. check the request
    _require_gan(model)
    alpha = check_alpha(edit, alpha)
    if isinstance(frames, bool) or not isinstance(frames, int) or not 2 <= frames <= MAX_FRAMES:
        raise ValueError(f"frames must be an integer in 2..{MAX_FRAMES}, got {frames!r}")
    walks = _checked_walks(model, walks, [edit])
    spec = EDITS[edit]
    alphas = spec.alphas(frames, alpha) if alpha != spec.identity else [alpha] * frames
    # 2. one starting code, repeated per frame, each moved by its own multiple of the walk
    z, labels = model.sample_inputs(1, class_labels, latents, truncation, generator)
    codes = z.expand(frames, -1).to(walks.directions.dtype)
    steps = torch.tensor([spec.step(a) for a in alphas], dtype=codes.dtype, device=codes.device)
    moved = (codes + walks.offsets(codes, edit, steps)).to(z)
    # 3. the targets: the edit applied to the unmoved image
    start = model.generate(latents=z, class_labels=labels)
    targets, masks = (torch.cat(parts) for parts in zip(*(edit_images(start, edit, a) for a in alphas)))
    moved = project(model, moved, labels.expand(frames), targets, masks, project_steps)
    images = model.generate(latents=moved, class_labels=labels.expand(frames))
    return SteeringOutput(images=images, targets=targets, alphas=alphas)


def _effect(model, direction: torch.Tensor, latents, labels, reach: float) -> str:
    """The edit that best explains moving from -reach to +reach along the direction: the edit and amount whose warp of
    G(z - reach n) comes closest (L2 over 64 items) to G(z + reach n), over 16 amounts across each edit's range, and
    the share of the change it explains (1 - that distance / the distance unedited). Read off the images as a whole,
    not off one moment: a shift also moves mass from left to right, which a moment of rotate 3D alone would report."""
    plus = model.generate(latents=latents + reach * direction, class_labels=labels).float()
    minus = model.generate(latents=latents - reach * direction, class_labels=labels).float()
    unedited = float((plus - minus).norm())
    best = (float("inf"), "", 0.0)
    for edit in EDITS.values():
        for alpha in edit.alphas(16):
            distance = float((edit_images(minus, edit.name, alpha)[0] - plus).norm())
            best = min(best, (distance, edit.name, alpha))
    distance, name, alpha = best
    explained = max(0.0, 1 - distance / max(unedited, 1e-12))
    amount = f"{name} {EDITS[name].amount(alpha)}"
    if explained < 0.15:
        return f"no single edit (closest: {amount}, explains {explained:.0%})"
    return f"{amount} over ±{reach:g} (explains {explained:.0%} of the change)"


@torch.no_grad()
def discover_directions(
    model,
    num_directions: int = 6,
    frames: int = 0,
    reach: float = 6.0,
    class_labels=None,
    generator=None,
    walks: Walks | None = None,
) -> DiscoveredDirections:
    """SeFa: unsupervised directions from the generator's first layer, each labelled by its measured effect on
    64 generated items and by its |cosine| to the learned walks; with frames > 0 also one strip per direction."""
    # 1. closed-form factorisation of the z-part of the first layer: eigenvectors of A^T A
    _require_gan(model)
    if isinstance(num_directions, bool) or not isinstance(num_directions, int) or not 1 <= num_directions <= 16:
        raise ValueError(f"num_directions must be an integer in 1..16, got {num_directions!r}")
    if isinstance(frames, bool) or not isinstance(frames, int) or not 0 <= frames <= MAX_FRAMES:
        raise ValueError(f"frames must be an integer in 0..{MAX_FRAMES}, got {frames!r}")
    d = model.config.latent_dim
    a = model.generator.project.weight[:, :d].float()  # (c7 * 49, latent_dim)
    values, vectors = torch.linalg.eigh(a.t() @ a)  # ascending
    order = values.argsort(descending=True)[:num_directions]
    directions, strengths = vectors[:, order].t().contiguous(), values[order]
    # 2. what each one does, and how close it is to a learned walk
    z, labels = model.sample_inputs(64, None, None, 1.0, torch.Generator().manual_seed(0))
    effects = [_effect(model, n.to(z.dtype), z, labels, reach) for n in directions]
    walks = walks if walks is not None else walks_for(model)
    unit = torch.nn.functional.normalize(walks.directions.float(), dim=1).to(directions.device)
    cosines = [{e: round(float((unit[i] @ n).abs()), 3) for i, e in enumerate(walks.config.edits)} for n in directions]
    # 3. the strips
    images = None
    if frames:
        z1, y1 = model.sample_inputs(1, class_labels if class_labels is not None else None, None, 1.0, generator)
        t = torch.linspace(-reach, reach, frames, device=z1.device, dtype=z1.dtype)[:, None]
        images = torch.cat(
            [model.generate(latents=z1 + t * n.to(z1), class_labels=y1.expand(frames)) for n in directions]
        )
    return DiscoveredDirections(directions, strengths, effects, cosines, images)
