"""The playground's 2-D mode (after GAN Lab, Kahng et al. 2018): a GAN on points in the plane, trained live at
hundreds of updates a second, drawn as the discriminator's value over the plane (a heat map), the real and the
generated points, and arrows along which the generator's loss moves each generated point (-dL_G/dx), so vanishing
gradients (the arrows vanish), mode collapse (the points gather on few of the real modes) and unstable convergence
(the points circle and jump) are seen within seconds.

Data: a ring of 8 Gaussians, a 5 x 5 grid of Gaussians, or points a person draws (each stroke pixel a centre).
Every run owns its model, optimisers and torch.Generator; `max_steps`, `max_seconds` and `stop()` end it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import torch

from ..images import figure_png, new_figure
from ..models.toy_gan import TOY_OBJECTIVES, ToyGAN, ToyGANConfig
from .live import seeded_init

DATASETS = ("ring", "grid", "drawn")
SPREAD = 0.05  # standard deviation of each Gaussian mode (ring radius 2, grid spacing 1.5)
EXTENT = 3.0  # the plane shown: [-EXTENT, EXTENT]^2
MAX_STEPS, MAX_SECONDS = 20000, 120
POINTS_SHOWN, ARROWS = 512, 48  # generated points drawn, of which this many with their arrow


@dataclass(frozen=True)
class Live2DSettings:
    dataset: str = "ring"  # one of DATASETS
    objective: str = "nonsaturating"  # one of TOY_OBJECTIVES
    lr_generator: float = 1e-3  # Adam learning rate of G
    lr_discriminator: float = 1e-3  # Adam learning rate of D
    discriminator_steps: int = 1  # D updates per G update
    betas: tuple[float, float] = (0.5, 0.999)  # Adam's betas for both
    batch_size: int = 256
    seed: int = 0
    max_steps: int = 3000  # generator updates
    max_seconds: float = 60.0
    report_seconds: float = 1.0  # an event at least this often (drawing it costs about a quarter second)

    def check(self) -> Live2DSettings:
        if self.dataset not in DATASETS or self.objective not in TOY_OBJECTIVES:
            raise ValueError(f"dataset must be one of {DATASETS} and objective one of {TOY_OBJECTIVES}")
        for name, value, low, high in (
            ("lr_generator", self.lr_generator, 1e-6, 0.1),
            ("lr_discriminator", self.lr_discriminator, 1e-6, 0.1),
            ("max_seconds", self.max_seconds, 1, MAX_SECONDS),
            ("beta1", self.betas[0], 0.0, 0.999),
        ):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
                raise ValueError(f"{name} must be a number in [{low:g}, {high:g}], got {value!r}")
        for name, value, low, high in (
            ("discriminator_steps", self.discriminator_steps, 1, 10),
            ("batch_size", self.batch_size, 16, 2048),
            ("seed", self.seed, 0, 2**31 - 1),
            ("max_steps", self.max_steps, 1, MAX_STEPS),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise ValueError(f"{name} must be a whole number in [{low}, {high}], got {value!r}")
        return self


def mode_centres(dataset: str, drawn: torch.Tensor | None = None) -> torch.Tensor:
    """The centres (K, 2) of the data's Gaussians; `drawn`: points (K, 2) a person drew, for dataset "drawn"."""
    if dataset == "ring":
        angles = torch.arange(8) * (2 * math.pi / 8)
        return 2.0 * torch.stack([angles.cos(), angles.sin()], 1)
    if dataset == "grid":
        ticks = torch.linspace(-3.0, 3.0, 5)
        return torch.cartesian_prod(ticks, ticks)
    if drawn is None or drawn.ndim != 2 or drawn.shape[1] != 2 or len(drawn) < 1:
        raise ValueError("the drawn dataset needs points: draw at least one stroke")
    return drawn.float()


def points_from_mask(mask: torch.Tensor, max_points: int = 64) -> torch.Tensor:
    """Drawn points: the cells of a (1, 1, S, S) mask (genhub.images.mask_from_strokes of the strokes) as centres in
    the plane [-EXTENT, EXTENT]^2, y up, at most max_points of them (evenly thinned)."""
    rows, cols = mask[0, 0].nonzero(as_tuple=True)
    if len(rows) == 0:
        raise ValueError("the drawn dataset needs points: draw at least one stroke")
    side = mask.shape[-1]
    x = (cols.float() + 0.5) / side * 2 * EXTENT - EXTENT
    y = EXTENT - (rows.float() + 0.5) / side * 2 * EXTENT
    points = torch.stack([x, y], 1)
    return points[torch.linspace(0, len(points) - 1, min(max_points, len(points))).round().long()]


def modes_covered(points: torch.Tensor, centres: torch.Tensor, share: float = 0.01) -> int:
    """How many modes hold at least `share` of the points within 3 standard deviations (each point counts for its
    nearest centre): the real data's count is every mode; mode collapse shows as a few."""
    distance, nearest = torch.cdist(points, centres).min(1)
    counts = torch.bincount(nearest[distance < 3 * SPREAD * 2], minlength=len(centres)).float()
    return int((counts >= share * len(points)).sum())


@dataclass
class Live2DEvent:
    step: int
    seconds: float
    real: torch.Tensor  # (POINTS_SHOWN, 2)
    fake: torch.Tensor  # (POINTS_SHOWN, 2)
    arrows: torch.Tensor  # (ARROWS, 2): -dL_G/dx at the first ARROWS fake points
    heat: torch.Tensor  # (64, 64) D(x) = sigmoid(logit) over the plane, row 0 at y = -EXTENT
    covered: int  # modes covered by the generated points
    history: dict[str, list[float]]
    modes: int  # modes of the data
    done: bool = False
    reason: str = ""
    model: object = None


def _look(model, centres, noise_seed: int, batch: Callable[[int, torch.Generator], torch.Tensor]):
    look = torch.Generator().manual_seed(noise_seed)
    real = batch(POINTS_SHOWN, look)
    fake = model(torch.randn(POINTS_SHOWN, model.config.latent_dim, generator=look)).detach()
    moved = fake[:ARROWS].clone().requires_grad_(True)
    arrows = -torch.autograd.grad(model.generator_loss(moved).loss * ARROWS, moved)[0]
    ticks = torch.linspace(-EXTENT, EXTENT, 64)
    plane = torch.stack(torch.meshgrid(ticks, ticks, indexing="xy"), -1).view(-1, 2)  # (64 * 64, 2), x fastest
    with torch.no_grad():
        heat = torch.sigmoid(model.logit(plane)).view(64, 64)
    return real, fake, arrows, heat, modes_covered(fake, centres)


def train_live_2d(
    settings: Live2DSettings, drawn: torch.Tensor | None = None, stop: Callable[[], bool] | None = None
) -> Iterator[Live2DEvent]:
    """Train from scratch on the settings' 2-D data, yielding an event every report_seconds and a last one
    (done=True) with the model."""
    settings.check()
    centres = mode_centres(settings.dataset, drawn)
    noise = torch.Generator().manual_seed(settings.seed)

    def batch(n: int, generator: torch.Generator) -> torch.Tensor:
        pick = torch.randint(len(centres), (n,), generator=generator)
        return centres[pick] + SPREAD * torch.randn(n, 2, generator=generator)

    model = seeded_init(
        ToyGAN(ToyGANConfig(objective=settings.objective)), torch.Generator().manual_seed(settings.seed)
    )
    opt_d = torch.optim.Adam(model.discriminator.parameters(), lr=settings.lr_discriminator, betas=settings.betas)
    opt_g = torch.optim.Adam(model.generator.parameters(), lr=settings.lr_generator, betas=settings.betas)
    history: dict[str, list[float]] = {"discriminator_loss": [], "generator_loss": [], "generator_grad_norm": []}
    start = last = time.monotonic()
    step, reason = 0, "steps"
    while step < settings.max_steps:
        if stop is not None and stop():
            reason = "stopped"
            break
        if time.monotonic() - start > settings.max_seconds:
            reason = "time"
            break
        n = settings.batch_size
        for _ in range(settings.discriminator_steps):  # (1) update the discriminator
            fake = model(torch.randn(n, model.config.latent_dim, generator=noise))
            d_loss = model.discriminator_loss(batch(n, noise), fake).loss
            opt_d.zero_grad(set_to_none=True)
            d_loss.backward()
            opt_d.step()
        g_loss = model.generator_loss(model(torch.randn(n, model.config.latent_dim, generator=noise))).loss
        opt_g.zero_grad(set_to_none=True)  # (2) update the generator
        g_loss.backward()
        grad = torch.cat([p.grad.flatten() for p in model.generator.parameters()]).norm()
        opt_g.step()
        step += 1
        for key, value in (("discriminator_loss", d_loss), ("generator_loss", g_loss), ("generator_grad_norm", grad)):
            history[key].append(float(value.detach()))
        if time.monotonic() - last >= settings.report_seconds and step < settings.max_steps:
            last = time.monotonic()
            yield Live2DEvent(
                step, last - start, *_look(model, centres, settings.seed + 1, batch), history, len(centres)
            )
    looked = _look(model, centres, settings.seed + 1, batch)
    yield Live2DEvent(step, time.monotonic() - start, *looked, history, len(centres), True, reason, model.eval())


def live2d_plot(event: Live2DEvent, reuse=None) -> bytes:
    """The run as a PNG: D(x) as a heat map over the plane with the real (black) and generated (orange) points and
    the generator's arrows; the losses and the generator's gradient norm (log scale) beside it. `reuse`: the run's
    genhub.images.FigureSlot, redrawn."""
    fig, (plane, curves) = new_figure(
        1, 2, figsize=(11, 5), dpi=80, gridspec_kw={"width_ratios": [1.1, 1]}, reuse=reuse
    )
    image = plane.imshow(
        event.heat.numpy(), origin="lower", extent=[-EXTENT, EXTENT] * 2, cmap="RdBu", vmin=0, vmax=1, alpha=0.8
    )
    fig.colorbar(image, ax=plane, fraction=0.046, label="D(x): probability x is real")
    plane.scatter(*event.real.T.numpy(), s=3, c="black", label="real")
    plane.scatter(*event.fake.T.numpy(), s=3, c="#ff7f0e", label="generated")
    start, arrows = event.fake[:ARROWS].numpy(), event.arrows.numpy()
    plane.quiver(*start.T, *arrows.T, color="#ff7f0e", angles="xy", scale_units="xy", scale=None, width=0.004)
    plane.set(xlim=(-EXTENT, EXTENT), ylim=(-EXTENT, EXTENT), aspect="equal")
    plane.set_title(f"step {event.step}: {event.covered} of {event.modes} modes covered")
    plane.legend(loc="upper right", fontsize=8)
    for key in ("discriminator_loss", "generator_loss"):
        curves.plot(event.history[key], lw=0.8, label=key)
    twin = curves.twinx()
    twin.semilogy(event.history["generator_grad_norm"], lw=0.8, color="#c44e52", label="|dL_G/dθ_G| (right, log)")
    curves.set(xlabel="step", title="losses; the gradient reaching G")
    curves.legend(loc="upper left", fontsize=8)
    twin.legend(loc="upper right", fontsize=8)
    return figure_png(fig)


PRESETS_2D = {  # name -> (settings, what to look at); signatures measured by step count in tests/train/test_live2d.py
    "healthy": (
        Live2DSettings(max_steps=3000),
        "Within a few hundred steps (about a second) the generated points reach all 8 modes of the ring and stay; the "
        "arrows point from where D says fake (red) towards where it says real (blue).",
    ),
    "mode collapse": (
        Live2DSettings(lr_generator=5e-3, lr_discriminator=1e-4, max_steps=2000),
        "A generator 50x faster than its discriminator: the points gather on one mode (or between modes) and stay "
        "there, and the count of covered modes sits at 0-1 of 8 while the real data keeps all 8.",
    ),
    "unstable convergence": (
        Live2DSettings(lr_generator=5e-3, lr_discriminator=5e-3, betas=(0.9, 0.999), max_steps=2000),
        "Large steps with heavy momentum for both players: the points swing from mode to mode instead of settling "
        "(covered modes jump between 0 and 7), and L_G's rolling spread is over twice the healthy run's.",
    ),
}
