"""Learned latent walks that steer a frozen generator (Jahanian, Chai & Isola 2019, "On the steerability of
generative adversarial networks"): one direction w_e per edit e, trained so that

    G(z + a * w_e, y)  ~  edit_e(G(z, y), alpha)         a = alpha / alpha_max_e (the edit's range mapped to [-1, 1])
    w_e* = argmin_w  E_{z, y, alpha} || mask_e(alpha) * (G(z + a w, y) - edit_e(G(z, y), alpha)) ||^2

The walks are their own Hub artifact, tied by name and weights hash to the generator they steer.
The edits: edit(x, alpha) -> (x', mask), x' the edited image and mask = 1 where x' comes from inside the
frame. Geometric edits resample bilinearly (grid_sample) in normalised coordinates; rotate 3D is a
perspective warp of the image plane turned about its vertical axis, seen from a pinhole at distance 2
(in half widths).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from transformers import PretrainedConfig, PreTrainedModel

CAMERA_DISTANCE = 2.0  # pinhole distance for rotate 3D, in half image widths


# the warps: for each output pixel's normalised (x, y) in [-1, 1], where to read in the input
def _zoom(xs, ys, alpha, h, w):  # the input scaled by alpha about the centre
    return xs / alpha, ys / alpha


def _shift_x(xs, ys, alpha, h, w):  # alpha pixels to the right
    return xs - 2 * alpha / w, ys


def _shift_y(xs, ys, alpha, h, w):  # alpha pixels down
    return xs, ys - 2 * alpha / h


def _rotate_2d(xs, ys, alpha, h, w):  # counter-clockwise on screen (y points down)
    t = math.radians(alpha)
    return math.cos(t) * xs - math.sin(t) * ys, math.sin(t) * xs + math.cos(t) * ys


def _rotate_3d(xs, ys, alpha, h, w):  # the plane turned by alpha about the vertical axis, seen from a pinhole
    t, d = math.radians(alpha), CAMERA_DISTANCE
    denominator = d * math.cos(t) + xs * math.sin(t)
    sx = xs * d / denominator
    sy = ys * (d - sx * math.sin(t)) / d
    return torch.where(denominator > 0, sx, torch.full_like(sx, 10.0)), sy  # behind the camera: outside


@dataclass(frozen=True)
class Edit:
    """One steering edit, complete: its alpha range in its own unit, the identity, how alpha maps to the walk, the
    edit itself (a warp of the image plane, or a change of the pixels), how its effect is measured on images
    (genhub.metrics.image_moments of the edited and the original) and the Space's default alpha."""

    name: str
    low: float  # lowest alpha
    identity: float  # the alpha that changes nothing
    high: float  # highest alpha
    log_scale: bool  # zoom: alpha is a factor, walked on a log2 scale (0.5 and 2 are -1 and 1)
    unit: str  # what alpha measures, for labels
    step_size: float  # a sensible slider step
    symbol: str  # alpha's unit in short, for figures: "x", " px", "°"
    default: float  # the alpha the Steer tab opens on for this edit
    measure_name: str  # what `measure` reports
    measure: Callable  # (moments of the edited, of the original) -> the change (N,)
    warp: Callable | None = None  # (xs, ys, alpha, h, w) -> where each output pixel reads (sx, sy)
    pixels: Callable | None = None  # (images, alpha) -> edited images, for an edit that moves no pixel

    def amount(self, alpha: float) -> str:
        """alpha as a person reads it: "x1.3", "-2 px", "+0.1", "+15°"."""
        return f"x{alpha:.3g}" if self.log_scale else f"{alpha:+.3g}{self.symbol}"

    def step(self, alpha: float) -> float:
        """alpha in the edit's unit -> a in [-1, 1], the multiple of the walk direction."""
        if self.log_scale:
            return math.log2(alpha) / math.log2(self.high)
        return (alpha - self.identity) / (self.high - self.identity)

    def from_step(self, a: float) -> float:
        """The inverse of step: a in [-1, 1] -> alpha."""
        return self.high**a if self.log_scale else self.identity + a * (self.high - self.identity)

    def alphas(self, count: int, limit: float | None = None) -> list[float]:
        """count alphas evenly spaced (in walk steps) from -limit to +limit around the identity (default: the range)."""
        a = 1.0 if limit is None else abs(self.step(limit))
        return [self.from_step(-a + 2 * a * t / (count - 1)) for t in range(count)]

    def sample(self, generator: torch.Generator) -> float:
        """A random alpha, uniform in walk steps (zoom: log-uniform, so shrinking and enlarging are equally likely)."""
        return self.from_step(float(torch.rand(1, generator=generator)) * 2 - 1)


EDITS = {  # the registry: walks, training, metrics, operations and the Space all read it
    e.name: e
    for e in (
        Edit(
            "zoom", 0.5, 1.0, 2.0, log_scale=True, unit="scale factor, > 1 enlarges", step_size=0.01, symbol="x",
            default=1.6, measure_name="scale", measure=lambda a, b: a["spread"] / b["spread"], warp=_zoom,
        ),
        Edit(
            "shift_x", -8.0, 0.0, 8.0, log_scale=False, unit="pixels, > 0 moves right", step_size=0.5, symbol=" px",
            default=6.0, measure_name="x shift (px)", measure=lambda a, b: a["centroid_x"] - b["centroid_x"],
            warp=_shift_x,
        ),
        Edit(
            "shift_y", -8.0, 0.0, 8.0, log_scale=False, unit="pixels, > 0 moves down", step_size=0.5, symbol=" px",
            default=6.0, measure_name="y shift (px)", measure=lambda a, b: a["centroid_y"] - b["centroid_y"],
            warp=_shift_y,
        ),
        Edit(
            "brightness", -0.5, 0.0, 0.5, log_scale=False, unit="added intensity on [0, 1] images", step_size=0.01,
            symbol="", default=0.3, measure_name="intensity change",
            measure=lambda a, b: a["intensity"] - b["intensity"],
            pixels=lambda images, alpha: (images + alpha).clamp(0, 1),
        ),
        Edit(
            "rotate_2d", -45.0, 0.0, 45.0, log_scale=False, unit="degrees in the image plane, > 0 counter-clockwise",
            step_size=1.0, symbol="°", default=30.0, measure_name="axis angle change (deg)",
            measure=lambda a, b: (a["angle"] - b["angle"] + 90) % 180 - 90, warp=_rotate_2d,
        ),
        Edit(
            "rotate_3d", -60.0, 0.0, 60.0, log_scale=False,
            unit="degrees about the vertical axis, > 0 brings the right side closer", step_size=1.0, symbol="°",
            default=45.0, measure_name="log right/left mass change",
            measure=lambda a, b: a["log_right_left"] - b["log_right_left"], warp=_rotate_3d,
        ),
    )
}  # fmt: skip
EDIT_RANGES = {name: (e.low, e.identity, e.high) for name, e in EDITS.items()}  # edit -> (low, identity, high)


def check_alpha(edit: str, alpha) -> float:
    if edit not in EDIT_RANGES:
        raise ValueError(f"unknown edit {edit!r}; known: {', '.join(EDIT_RANGES)}")
    low, _, high = EDIT_RANGES[edit]
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or math.isnan(alpha) or not low <= alpha <= high:
        raise ValueError(f"alpha for {edit} must be a number in [{low}, {high}], got {alpha!r}")
    return float(alpha)


def _source_grid(edit: str, alpha: float, n: int, h: int, w: int) -> torch.Tensor:
    """For each output pixel, where to read in the input: (N, H, W, 2) normalised (x, y) in [-1, 1]."""
    ys, xs = torch.meshgrid(
        torch.linspace(-1 + 1 / h, 1 - 1 / h, h), torch.linspace(-1 + 1 / w, 1 - 1 / w, w), indexing="ij"
    )
    sx, sy = EDITS[edit].warp(xs, ys, alpha, h, w)
    return torch.stack([sx, sy], dim=-1).expand(n, h, w, 2)


def edit_images(images: torch.Tensor, edit: str, alpha: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Apply one edit to images (N, C, H, W) in [0, 1]: (edited images, mask (N, 1, H, W) of in-frame pixels)."""
    alpha = check_alpha(edit, alpha)
    n, _, h, w = images.shape
    full = torch.ones(n, 1, h, w, dtype=images.dtype, device=images.device)
    if alpha == EDIT_RANGES[edit][1]:  # the identity
        return images.clone(), full
    if EDITS[edit].pixels is not None:
        return EDITS[edit].pixels(images, alpha), full
    grid = _source_grid(edit, alpha, n, h, w).to(images.device, images.dtype)
    edited = F.grid_sample(images, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    inside = (grid.abs() <= 1).all(-1, keepdim=True).permute(0, 3, 1, 2).to(images.dtype)  # (N, 1, H, W)
    return edited.clamp(0, 1), inside


def walk_step(edit: str, alpha: float) -> float:
    """alpha in the edit's unit -> a in [-1, 1] (see Edit.step)."""
    return EDITS[edit].step(alpha)


class WalksConfig(PretrainedConfig):
    model_type = "genhub_walks"

    def __init__(
        self,
        latent_dim: int = 64,  # size of the generator's z
        edits: list[str] | None = None,  # names of the walks, in the order of the stored directions
        generator_name: str = "",  # the checkpoint these walks steer
        generator_revision: str = "",  # sha256 prefix of that checkpoint's weights
        **kwargs,
    ):
        edits = list(EDIT_RANGES) if edits is None else list(edits)
        unknown = [e for e in edits if e not in EDIT_RANGES]
        if unknown or latent_dim < 1:
            raise ValueError(f"unknown edits {unknown} (known: {list(EDIT_RANGES)}) or latent_dim < 1")
        self.latent_dim = latent_dim
        self.edits = edits
        self.generator_name = generator_name
        self.generator_revision = generator_revision
        super().__init__(**kwargs)


class Walks(PreTrainedModel):
    config_class = WalksConfig
    base_model_prefix = "walks"
    main_input_name = "latents"
    capabilities = frozenset({"walk"})  # genhub.models.CAPABILITIES

    def __init__(self, config: WalksConfig):
        super().__init__(config)
        self.directions = nn.Parameter(torch.zeros(len(config.edits), config.latent_dim))  # w_e, one row per edit
        self.post_init()

    def _init_weights(self, module):  # walks start at zero: no edit
        pass

    def offsets(self, latents: torch.Tensor, edit: str, steps) -> torch.Tensor:
        """How the walk for `edit` moves each code (N, d): a * w_e, steps a (walk steps: a float or one per row)."""
        a = torch.as_tensor(steps, dtype=latents.dtype, device=latents.device).expand(len(latents))[:, None]
        return a * self.directions[self.config.edits.index(edit)].to(latents)

    def forward(self, latents: torch.Tensor, edits: dict[str, float]) -> torch.Tensor:
        """z + sum_e a_e * w_e for the requested edits {name: alpha}; latents (N, d) -> (N, d)."""
        out = latents
        for edit, alpha in edits.items():
            out = out + self.offsets(latents, edit, walk_step(edit, alpha))
        return out


PROJECT_LR = 0.05  # Adam's step on the codes when a walk is projected
MAX_PROJECT_STEPS = 500
PROJECT_STEPS = 100  # the projection the Space applies by default, and the cards and the bench report


def project(model, latents: torch.Tensor, labels, targets: torch.Tensor, masks: torch.Tensor, steps: int):
    """A walk's codes refined so that G(z', y) comes closest to each target on its masked pixels: `steps` steps of
    Adam on z' alone from `latents` (the generator is not touched, nor are its weights' gradients). The learned walk
    is the start; the projection is each item's own correction, what this generator can reach of the requested edit
    (the per-image optimum that bounds a walk's steerability, Jahanian 2019). Rows are independent. Returns z'."""
    if isinstance(steps, bool) or not isinstance(steps, int) or not 0 <= steps <= MAX_PROJECT_STEPS:
        raise ValueError(f"project_steps must be an integer in 0..{MAX_PROJECT_STEPS}, got {steps!r}")
    z = latents.detach().clone()
    if steps == 0:
        return z
    opt = torch.optim.Adam([z.requires_grad_(True)], lr=PROJECT_LR)
    with torch.enable_grad():
        for _ in range(steps):
            loss = ((model(z, labels) - targets) ** 2 * masks).sum()
            (z.grad,) = torch.autograd.grad(loss, [z])
            opt.step()
    return z.detach()
