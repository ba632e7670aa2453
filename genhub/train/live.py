"""Live training for the Space's playground: a small GAN (the lecture's EBGAN, non-saturating or the saturating
minimax loss) or VAE trained on real Fashion-MNIST, streamed as progress events, so a student can cause the
GAN pitfalls of the lecture (vanishing gradients, mode collapse, unstable convergence) and watch them.

    EBGAN       L_C = C(x) + [m - C(G(z))]^+          L_G = C(G(z))
    non-sat.    L_D = softplus(-D(x)) + softplus(D(G(z)))   L_G = softplus(-D(G(z)))
    minimax     L_D as above                           L_G = log(1 - D(G(z)))   (saturates when D wins)
    VAE         L = BCE(x, x_hat) + beta * KL(q(z|x) || N(0, I))

Every run owns its model, optimisers and torch.Generator (no global state); `max_steps` and `max_seconds` cap it,
and `stop()` ends it between two steps. The events carry what the page plots: samples on fixed latents, the losses,
the gradient norm reaching the generator, the class histogram of samples by the evaluation classifier and its
KL to uniform over the trained classes, and the energies of real and generated images.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import torch

from ..images import figure_png, new_figure
from ..models import VAE, ConditionalGAN, ConditionalGANConfig, VAEConfig

FAMILIES = ("ebgan", "nonsaturating", "minimax", "vae")
OBJECTIVE = {"ebgan": "energy", "nonsaturating": "nonsaturating", "minimax": "minimax"}
MAX_STEPS, MAX_SECONDS, MAX_BATCH = 3000, 120, 256  # caps of one run
SAMPLES_PER_LOOK = 128  # samples the classifier sorts at each event (the class histogram)


@dataclass(frozen=True)
class LiveSettings:
    family: str = "nonsaturating"  # one of FAMILIES
    margin: float = 20.0  # EBGAN's m
    beta: float = 1.0  # the VAE's KL weight
    lr_generator: float = 2e-4  # Adam learning rate of G (or of the VAE)
    lr_cost: float = 2e-4  # Adam learning rate of the cost network / discriminator
    cost_steps: int = 1  # cost-network updates per generator update (D:G ratio)
    batch_size: int = 64
    latent_dim: int = 32
    classes: tuple[int, ...] = tuple(range(10))  # Fashion-MNIST classes trained on
    seed: int = 0
    max_steps: int = 600  # generator updates
    max_seconds: float = 90.0
    report_every: int = 20  # steps between events (also at least every report_seconds)
    report_seconds: float = 1.0  # the page sees new samples at least this often
    betas: tuple[float, float] = (0.5, 0.999)  # Adam's betas

    def check(self) -> LiveSettings:
        """self if every setting is usable, else a ValueError naming the setting and what is accepted."""
        if self.family not in FAMILIES:
            raise ValueError(f"family must be one of {', '.join(FAMILIES)}, got {self.family!r}")
        numbers = {
            "margin": (self.margin, 0.1, 1000),
            "beta": (self.beta, 0.0, 100),
            "lr_generator": (self.lr_generator, 1e-6, 0.1),
            "lr_cost": (self.lr_cost, 1e-6, 0.1),
            "max_seconds": (self.max_seconds, 1, MAX_SECONDS),
        }
        for name, (value, low, high) in numbers.items():
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not math.isfinite(value)
                or not low <= value <= high
            ):
                raise ValueError(f"{name} must be a number in [{low:g}, {high:g}], got {value!r}")
        integers = {
            "cost_steps": (self.cost_steps, 1, 10),
            "batch_size": (self.batch_size, 8, MAX_BATCH),
            "latent_dim": (self.latent_dim, 2, 128),
            "seed": (self.seed, 0, 2**31 - 1),
            "max_steps": (self.max_steps, 1, MAX_STEPS),
            "report_every": (self.report_every, 1, 500),
        }
        for name, (value, low, high) in integers.items():
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise ValueError(f"{name} must be a whole number in [{low}, {high}], got {value!r}")
        if (
            not self.classes
            or len(set(self.classes)) != len(self.classes)
            or not all(isinstance(c, int) and 0 <= c <= 9 for c in self.classes)
        ):
            raise ValueError(f"classes must be 1 to 10 distinct class ids in 0..9, got {list(self.classes)!r}")
        return self


@dataclass
class LiveEvent:
    step: int  # generator updates done
    seconds: float  # since the run started
    samples: torch.Tensor  # (16, 1, 28, 28) in [0, 1], on the run's fixed latents
    history: dict[str, list[float]]  # per step: losses, energies, generator gradient norm
    histogram: list[float]  # share of SAMPLES_PER_LOOK samples per class (evaluation classifier)
    histogram_kl: float  # KL(uniform over the trained classes || that histogram): 0 = every class, large = missing
    done: bool = False
    reason: str = ""  # why the run ended: "steps", "time" or "stopped"
    model: object = field(default=None, repr=False)  # the trained model, on the last event

    def readings(self) -> tuple[float, float, float]:
        """What the pitfalls move: the gradient norm reaching the generator at the first step and now (median of the
        last 10 steps), and the std of the generator's loss over the last 20 steps (the plot's rolling std)."""
        grad = self.history.get("generator_grad_norm") or [math.nan]
        loss = self.history.get("generator_loss", self.history.get("loss")) or [math.nan]
        return grad[0], statistics.median(grad[-10:]), statistics.pstdev(loss[-20:])


def build_model(settings: LiveSettings):
    """A small unconditional GAN (one class, so its samples can collapse onto few real classes) or a VAE."""
    return KINDS[settings.family].build(settings)


def _build_vae(settings: LiveSettings) -> VAE:
    return VAE(VAEConfig(latent_dim=settings.latent_dim, hidden_channels=(16, 32), hidden_size=128, beta=settings.beta))


def _build_gan(settings: LiveSettings) -> ConditionalGAN:
    config = ConditionalGANConfig(
        architecture="mlp",  # fully connected: ~10x the steps a second of the conv stacks, so a run teaches in 30 s
        latent_dim=settings.latent_dim,
        num_classes=1,
        class_embed_dim=4,
        generator_channels=(256, 512),
        cost_channels=(512, 256),
        cost_code_dim=64,
        objective=OBJECTIVE[settings.family],
        margin=settings.margin,
    )
    return ConditionalGAN(config)


@torch.no_grad()
def seeded_init(model, generator: torch.Generator):
    """PyTorch's default initialisation drawn from the run's own generator (never the global one, which concurrent
    runs would share): Kaiming-uniform weights and fan-in-uniform biases for linear and conv layers."""
    for module in model.modules():
        if isinstance(module, (torch.nn.Linear, torch.nn.Conv2d, torch.nn.ConvTranspose2d)):
            torch.nn.init.kaiming_uniform_(module.weight, a=math.sqrt(5), generator=generator)
            if module.bias is not None:
                fan_in = (
                    module.weight[0].numel()
                    if not isinstance(module, torch.nn.ConvTranspose2d)
                    else (module.weight.shape[0] * module.weight[0, 0].numel())
                )
                bound = 1 / math.sqrt(fan_in)
                torch.nn.init.uniform_(module.bias, -bound, bound, generator=generator)
        elif isinstance(module, torch.nn.Embedding):
            torch.nn.init.normal_(module.weight, generator=generator)
    return model


def _gan_step(model, x, settings, opts, noise) -> dict[str, float]:
    """(1) update the cost network cost_steps times, (2) update the generator once."""
    opt_cost, opt_gen = opts
    n, zeros = len(x), torch.zeros(len(x), dtype=torch.long)
    for _ in range(settings.cost_steps):
        fake = model(torch.randn(n, settings.latent_dim, generator=noise), zeros)
        cost = model.cost_loss(x, fake, zeros, zeros)
        opt_cost.zero_grad(set_to_none=True)
        cost.loss.backward()
        opt_cost.step()
    fake = model(torch.randn(n, settings.latent_dim, generator=noise), zeros)
    gen = model.generator_loss(fake, zeros)
    opt_gen.zero_grad(set_to_none=True)
    gen.loss.backward()
    grad = torch.cat([p.grad.flatten() for p in model.generator.parameters() if p.grad is not None]).norm()
    opt_gen.step()
    return {
        "cost_loss": float(cost.loss.detach()),
        "generator_loss": float(gen.loss.detach()),
        "energy_real": float(cost.energy_real),
        "energy_fake": float(cost.energy_fake),
        "generator_grad_norm": float(grad),
    }


def _vae_step(model, x, settings, opts, noise) -> dict[str, float]:
    out = model(x, generator=noise)
    opts[0].zero_grad(set_to_none=True)
    out.loss.backward()
    grad = torch.cat([p.grad.flatten() for p in model.decoder.parameters() if p.grad is not None]).norm()
    opts[0].step()
    return {
        "loss": float(out.loss.detach()),
        "reconstruction": float(out.reconstruction_loss.detach()),
        "kl": float(out.kl.detach()),
        "generator_grad_norm": float(grad),
    }


@torch.no_grad()
def _look(model, settings, fixed, classifier, seed: int) -> tuple[torch.Tensor, list[float], float]:
    """Samples on the fixed latents, and the class histogram of SAMPLES_PER_LOOK fresh samples with its KL to uniform."""
    model.eval()
    generator = torch.Generator().manual_seed(seed)
    one_class = {"class_labels": 0} if "class_labels" in model.sampling_options else {}  # the GAN's only class
    samples = model.generate(latents=fixed, **one_class)
    many = model.generate(SAMPLES_PER_LOOK, generator=generator, **one_class)
    model.train()
    counts = torch.bincount(classifier.predict(many), minlength=10).float()
    histogram = counts / counts.sum()
    # KL(uniform over the trained classes || histogram): 0 when every trained class gets its share, large when
    # classes are missing (mode collapse); shares below 1/1000 count as 1/1000
    share = histogram[list(settings.classes)].clamp_min(1e-3)
    k = len(settings.classes)
    kl = float((torch.log(1 / (k * share))).mean())
    return samples, histogram.tolist(), kl


def train_live(
    settings: LiveSettings,
    images: torch.Tensor,
    labels: torch.Tensor,
    classifier,
    stop: Callable[[], bool] | None = None,
) -> Iterator[LiveEvent]:
    """Train from scratch, yielding a LiveEvent every report_every steps and one last event (done=True) with the
    model. images (N, 1, 28, 28) in [0, 1] (or uint8) and labels (N,): the data, filtered here to settings.classes."""
    settings.check()
    noise = torch.Generator().manual_seed(settings.seed)
    keep = torch.isin(labels, torch.tensor(settings.classes))
    data = images[keep]
    model = seeded_init(build_model(settings), torch.Generator().manual_seed(settings.seed)).train()
    kind = KINDS[settings.family]
    opts, step_fn = kind.optimisers(model, settings), kind.step
    fixed = torch.randn(16, settings.latent_dim, generator=torch.Generator().manual_seed(settings.seed + 1))
    history: dict[str, list[float]] = {}
    start, reason, step = time.monotonic(), "steps", 0
    last_report = start
    while step < settings.max_steps:
        if stop is not None and stop():
            reason = "stopped"
            break
        if time.monotonic() - start > settings.max_seconds:
            reason = "time"
            break
        index = torch.randint(len(data), (settings.batch_size,), generator=noise)
        batch = data[index].float() / 255 if data.dtype == torch.uint8 else data[index]
        for key, value in step_fn(model, batch, settings, opts, noise).items():
            history.setdefault(key, []).append(value)
        step += 1
        due = step % settings.report_every == 0 or time.monotonic() - last_report >= settings.report_seconds
        if due and step < settings.max_steps:
            samples, histogram, kl = _look(model, settings, fixed, classifier, settings.seed + 2)
            last_report = time.monotonic()
            yield LiveEvent(step, last_report - start, samples, history, histogram, kl)
    samples, histogram, kl = _look(model, settings, fixed, classifier, settings.seed + 2)
    yield LiveEvent(step, time.monotonic() - start, samples, history, histogram, kl, True, reason, model.eval())


def _vae_optimisers(model, settings: LiveSettings) -> tuple:
    return (torch.optim.Adam(model.parameters(), lr=settings.lr_generator),)


def _gan_optimisers(model, settings: LiveSettings) -> tuple:
    """(the cost network's, the generator's)."""
    return (
        torch.optim.Adam(model.cost.parameters(), lr=settings.lr_cost, betas=settings.betas),
        torch.optim.Adam(model.generator.parameters(), lr=settings.lr_generator, betas=settings.betas),
    )


@dataclass(frozen=True)
class LiveKind:
    """One row of the playground's table: how a kind of run builds its model, its optimisers and its step."""

    build: Callable  # (settings) -> model
    optimisers: Callable  # (model, settings) -> optimisers, in the order the step takes them
    step: Callable  # (model, batch, settings, optimisers, noise) -> {logged figure: value}


KINDS = {name: LiveKind(_build_gan, _gan_optimisers, _gan_step) for name in OBJECTIVE} | {
    "vae": LiveKind(_build_vae, _vae_optimisers, _vae_step)
}


def playground_data(classes: tuple[int, ...] | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Fashion-MNIST's train images of `classes` (default: all ten) as uint8 (N, 1, 28, 28) and their labels, read
    from the files for each run (0.5 s on 2 cores): a run holds only its own classes (14 MB for three) and nothing
    stays in the server after it (kept for good, all 60,000 held 47 MB of the app's memory)."""
    from .. import data  # noqa: PLC0415

    images, labels = data.load_fashion_mnist("train")
    if classes is not None:
        keep = torch.isin(labels, torch.tensor(classes))
        images, labels = images[keep], labels[keep]
    return images[:, None].contiguous(), labels


PRESETS = {  # name -> (settings, what to look at); the signatures are measured in tests/train/test_live.py
    # all on the fully connected GAN at batch 128: ~40 steps a second on 2 quiet cores, ~20 beside another request,
    # so each signature shows within 300-400 steps, 10-20 s
    "healthy": (
        LiveSettings(family="nonsaturating", lr_generator=1e-3, lr_cost=1e-3, batch_size=128, classes=(1, 7, 8)),
        "A healthy run: within a few hundred steps the samples look like trousers, sneakers and bags, and the "
        "classifier spreads them over the three trained classes (KL to uniform below 0.5); the losses settle into "
        "a band and the generator's gradient norm stays put.",
    ),
    "vanishing gradients": (
        LiveSettings(
            family="minimax",
            cost_steps=5,
            lr_generator=1e-3,
            lr_cost=1e-3,
            batch_size=128,
            classes=(1, 7, 8),
            max_steps=300,
        ),
        "The saturating minimax loss log(1 - D(G(z))) with a strong discriminator (5 updates per generator "
        "step): D wins at once, and the gradient reaching G falls by three to four orders of magnitude (log-scale "
        "plot), so G stops learning and its samples stay blobs.",
    ),
    "mode collapse": (
        LiveSettings(
            family="nonsaturating", lr_generator=5e-3, lr_cost=1e-4, batch_size=128, classes=(1, 7, 8), max_steps=300
        ),
        "A generator 50x faster than its critic chases whatever fools it now: every sample turns into the same "
        "item, one bar takes the whole histogram and the trained classes go missing (KL to uniform past 3).",
    ),
    "unstable convergence": (
        LiveSettings(
            family="nonsaturating",
            lr_generator=1e-3,
            lr_cost=1e-3,
            betas=(0.9, 0.999),
            batch_size=128,
            classes=(1, 7, 8),
            max_steps=400,
        ),
        "The healthy run's step sizes with heavy momentum (Adam's beta1 0.9 instead of 0.5): the losses swing "
        "instead of settling (the rolling std of L_G is about ten times the healthy run's), and the samples change "
        "class from look to look.",
    ),
}


def live_plot(event: LiveEvent, settings: LiveSettings, reuse=None) -> bytes:
    """The run so far as a PNG: losses and energies, the generator's gradient norm (log scale), the class histogram
    of the samples (trained classes in colour), and the rolling std of the generator's loss. `reuse`: the run's
    genhub.images.FigureSlot, redrawn."""
    import numpy as np  # noqa: PLC0415

    fig, axes = new_figure(2, 2, figsize=(10, 6.4), dpi=80, reuse=reuse)
    h = event.history
    for key, values in h.items():
        if key != "generator_grad_norm":
            axes[0, 0].plot(values, lw=1, label=key)
    axes[0, 0].set(title="losses and energies", xlabel="step")
    axes[0, 0].legend(fontsize=7)
    axes[0, 1].semilogy(h.get("generator_grad_norm", []), lw=1, color="#c44e52")
    axes[0, 1].set(title="gradient norm reaching G (log)", xlabel="step")
    colours = ["#4c72b0" if c in settings.classes else "#cccccc" for c in range(10)]
    axes[1, 0].bar(range(10), event.histogram, color=colours)
    axes[1, 0].axhline(1 / len(settings.classes), color="k", lw=0.8, ls=":")
    from ..data import FASHION_CLASSES  # noqa: PLC0415

    axes[1, 0].set(title=f"class of the samples (KL to uniform {event.histogram_kl:.2f})", ylim=(0, 1))
    axes[1, 0].set_xticks(range(10), [name.split("/")[0] for name in FASHION_CLASSES], rotation=45, ha="right")
    g = np.asarray(h.get("generator_loss", h.get("loss", [])), dtype=float)
    if len(g) > 20:
        axes[1, 1].plot(
            np.arange(19, len(g)), np.lib.stride_tricks.sliding_window_view(g, 20).std(1), lw=1, color="#8172b2"
        )
    axes[1, 1].set(title="rolling std of L_G (20 steps)", xlabel="step")
    return figure_png(fig, top=0.93)
