"""Reproduce every shipped checkpoint: `python -m genhub.train <recipe> [--epochs N] [--dry-run]`.

Trains on the Fashion-MNIST train split through Hugging Face Accelerate (CPU here; a GPU, or several
with `accelerate launch -m genhub.train <recipe>`, when present), evaluates on the test split, and
writes the checkpoint folder (config, safetensors, model card with the measured figures) atomically.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import torch
import torch.nn.functional as F
from accelerate import Accelerator
from accelerate.utils import set_seed
from torch.utils.data import DataLoader, TensorDataset
from tqdm.auto import tqdm

from .. import data
from ..hub import make_card, save_checkpoint, weights_revision
from ..images import grid, png_bytes
from ..metrics import (
    class_histogram,
    evaluate_autoencoder,
    evaluate_classifier,
    evaluate_gan,
    evaluate_super_resolution,
    evaluate_text_gan,
    evaluate_vae,
    evaluate_walks,
)
from ..models import (
    CHECKPOINTS_DIR,
    EBGAN,
    VAE,
    Autoencoder,
    AutoencoderConfig,
    Classifier,
    ClassifierConfig,
    EBGANConfig,
    VAEConfig,
    load_model,
)
from ..models.autoencoder import corrupt
from ..models.super_resolution import PatchDiscriminator, SuperResolution, SuperResolutionConfig, bicubic
from ..models.text_gan import TextGAN, TextGANConfig, vocabulary
from ..models.walks import EDIT_RANGES, Walks, WalksConfig


@dataclass
class Recipe:
    family: str  # "autoencoder", "vae", "classifier", "gan", "super_resolution", "walks" or "text_gan"
    description: str  # one line for the card
    config: dict  # architecture and objective (the model's config)
    epochs: int = 20
    batch_size: int = 128
    learning_rate: float = 1e-3
    seed: int = 0
    compare_with: list[str] = field(default_factory=list)  # checkpoints whose test figures the card quotes
    notes: str = ""  # what the card should say about reading the figures
    betas: tuple[float, float] = (0.9, 0.999)  # Adam's betas (GANs use DCGAN's 0.5)
    warmup_epochs: int = 0  # text GAN: epochs of joint-embedding training before the GAN


GAN_NOTE = (
    "Which GAN samples by default: the Space's Sample tab orders the GANs by measured classifier-FID and "
    "defaults to the lowest (see the rows above). The two share the generator, the data, the budget and the "
    "seed; only the cost network and its objective differ, so the comparison is like for like. "
    "Two stages: `python -m genhub.train <name>` trains the base GAN (the diagnostics below are from it), then "
    "`python -m genhub.train <name>-walks` fine-tunes the generator jointly with its latent walks, real images "
    "edited by the same edits in the adversarial game and an EMA of the generator's weights "
    "(`genhub.train.steerable`); the weights shipped here and the figures above are after that stage. "
    "`training_log.json` keeps the base figures (`base_test_figures`) and the fine-tune's per-step losses."
)


RECIPES = {
    "fashion-ae-under": Recipe(
        "autoencoder",
        "under-complete (d = 64 < n = 784) tied autoencoder, BCE loss",
        dict(hidden_size=64, tied_weights=True),
    ),
    "fashion-ae-over": Recipe(
        "autoencoder",
        "over-complete (d = 1024 > n = 784) tied autoencoder, BCE loss",
        dict(hidden_size=1024, tied_weights=True),
    ),
    "fashion-dae": Recipe(
        "autoencoder",
        "over-complete tied denoising autoencoder, gaussian noise std 0.5",
        dict(hidden_size=1024, tied_weights=True, noise_type="gaussian", noise_level=0.5),
        compare_with=["fashion-ae-over"],
        notes="Trained only on corrupted inputs: clipped gaussian noise lifts the black background "
        "(by about 0.2 on average), so the model reconstructs a noisy input better than a "
        "clean one, while the plain autoencoder does the opposite. Compare the `loss_gaussian` "
        "column across the two rows.",
    ),
    "fashion-cae": Recipe(
        "autoencoder",
        "over-complete tied contractive autoencoder, lambda = 0.5",
        dict(hidden_size=1024, tied_weights=True, contractive_weight=0.5),
        compare_with=["fashion-ae-over"],
    ),
    "fashion-ae-untied": Recipe(
        "autoencoder",
        "under-complete (d = 64) untied autoencoder, BCE loss",
        dict(hidden_size=64, tied_weights=False),
        compare_with=["fashion-ae-under"],
    ),
    "fashion-vae": Recipe("vae", "convolutional VAE, d = 16, beta = 1", dict(latent_dim=16, beta=1.0), epochs=30),
    "fashion-beta-vae": Recipe(
        "vae",
        "convolutional beta-VAE, d = 16, beta = 4",
        dict(latent_dim=16, beta=4.0),
        epochs=15,
        compare_with=["fashion-vae"],
    ),
    "fashion-classifier": Recipe("classifier", "evaluation classifier (4 conv layers, 128-d features)", {}, epochs=8),
    "fashion-ebgan": Recipe(
        "gan",
        "class-conditional energy-based GAN (autoencoder cost, margin m = 30, pulling-away term 0.1)",
        dict(objective="energy", margin=30.0, pull_away_weight=0.1),
        epochs=8,
        batch_size=128,
        learning_rate=2e-4,
        betas=(0.5, 0.999),
        compare_with=["fashion-dcgan"],
        notes=GAN_NOTE,
    ),
    "fashion-dcgan": Recipe(
        "gan",
        "class-conditional non-saturating GAN (DCGAN objective, projection discriminator), same generator",
        dict(objective="nonsaturating"),
        epochs=8,
        batch_size=128,
        learning_rate=2e-4,
        betas=(0.5, 0.999),
        compare_with=["fashion-ebgan"],
        notes=GAN_NOTE,
    ),
    **{
        f"fashion-sr-x{scale}{'-gan' if adv else ''}": Recipe(
            "super_resolution",
            f"x{scale} super-resolution ({28 // scale}x{28 // scale} -> 28x28), residual CNN over "
            f"bicubic, L1 loss{' + adversarial term (weight 2, srez)' if adv else ' only'}",
            dict(scale=scale, hidden_channels=32, num_layers=5, adversarial_weight=2.0 if adv else 0.0),
            epochs=2,
            compare_with=[f"fashion-sr-x{scale}{'' if adv else '-gan'}"],
        )
        for scale in (2, 4)
        for adv in (False, True)
    },
    **{
        f"{gan}-walks": Recipe(
            "walks",
            f"steerable fine-tune of `{gan}` jointly with linear walks (fixed length 6) for "
            "the six edits: real images edited the same way in the adversarial game, "
            f"relative masked-L2 walk loss (weight {weight}), EMA of the generator "
            "(decay 0.999); rewrites the generator's checkpoint and writes the walks",
            {"generator_name": gan, "walk_weight": weight},
            epochs=steps,
            batch_size=512,
            learning_rate=4e-4,
            betas=(0.5, 0.999),
        )
        for gan, weight, steps in (("fashion-ebgan", 25.0, 6230), ("fashion-dcgan", 6.0, 6666))
    },
    "fashion-text-gan": Recipe(
        "text_gan",
        "caption-to-image GAN-INT-CLS: word-level text encoder trained first as a "
        "joint image-text embedding (InfoNCE), then frozen; matching-aware "
        "discriminator; interpolated text embeddings for the generator",
        {},
        epochs=5,
        batch_size=128,
        learning_rate=2e-4,
        betas=(0.5, 0.999),
        warmup_epochs=2,
    ),
}
FAMILY_CLASSES = {
    "autoencoder": (AutoencoderConfig, Autoencoder),
    "vae": (VAEConfig, VAE),
    "classifier": (ClassifierConfig, Classifier),
    "gan": (EBGANConfig, EBGAN),
    "super_resolution": (SuperResolutionConfig, SuperResolution),
    "walks": (WalksConfig, Walks),
    "text_gan": (TextGANConfig, TextGAN),
}
CLASSIFIER = "fashion-classifier"  # the evaluation classifier GAN recipes are measured with
DIAGNOSTIC_EVERY = 100  # steps between class-histogram checks of GAN samples


def build_model(recipe: Recipe):
    config_class, model_class = FAMILY_CLASSES[recipe.family]
    names = {} if recipe.family in ("super_resolution", "walks") else {"class_names": list(data.FASHION_CLASSES)}
    return model_class(config_class(**recipe.config, **names))


def make_loader(images: torch.Tensor, labels: torch.Tensor | None, recipe: Recipe) -> DataLoader:
    labels = labels if labels is not None else torch.zeros(len(images), dtype=torch.long)
    return DataLoader(
        TensorDataset(images, labels),
        batch_size=recipe.batch_size,
        shuffle=True,
        drop_last=True,
        generator=torch.Generator().manual_seed(recipe.seed),
    )


def train_model(
    model,
    images: torch.Tensor,
    recipe: Recipe,
    accelerator: Accelerator,
    max_steps: int | None = None,
    labels: torch.Tensor | None = None,
):
    """The training loop: Adam on the model's own loss; returns the per-epoch mean losses."""
    loader = make_loader(images, labels, recipe)
    optimizer = torch.optim.Adam(model.parameters(), lr=recipe.learning_rate, betas=recipe.betas)
    model, optimizer, loader = accelerator.prepare(model, optimizer, loader)
    history = []
    for epoch in range(recipe.epochs):
        model.train()
        total, count = 0.0, 0
        bar = tqdm(loader, desc=f"epoch {epoch + 1}/{recipe.epochs}", disable=not accelerator.is_local_main_process)
        for step, (x, y) in enumerate(bar):
            loss = (model(x, labels=y) if recipe.family == "classifier" else model(x)).loss
            optimizer.zero_grad(set_to_none=True)
            accelerator.backward(loss)
            optimizer.step()
            total, count = total + loss.item(), count + 1
            bar.set_postfix(loss=f"{total / count:.2f}")
            if max_steps is not None and step + 1 >= max_steps:
                break
        history.append(total / count)
        if max_steps is not None:
            break
    return accelerator.unwrap_model(model).eval().cpu(), history


def train_super_resolution(model, images: torch.Tensor, recipe: Recipe, accelerator: Accelerator, max_steps=None):
    """srez: L1 to the high-resolution image, plus w_adv * softplus(-D(x_hat)) when the config asks for it."""
    loader = make_loader(images, None, recipe)
    optimizer = torch.optim.Adam(model.parameters(), lr=recipe.learning_rate, betas=recipe.betas)
    weight = model.config.adversarial_weight
    disc = PatchDiscriminator(model.config.num_channels) if weight > 0 else None
    opt_disc = torch.optim.Adam(disc.parameters(), lr=2e-4, betas=(0.5, 0.999)) if disc else None
    model, optimizer, loader = accelerator.prepare(model, optimizer, loader)
    if disc:
        disc, opt_disc = accelerator.prepare(disc, opt_disc)
    low = 28 // recipe.config["scale"]
    history, step = [], 0
    for epoch in range(recipe.epochs):
        model.train()
        total, count = 0.0, 0
        for x, _ in tqdm(
            loader, desc=f"epoch {epoch + 1}/{recipe.epochs}", disable=not accelerator.is_local_main_process
        ):
            out = model(bicubic(x, (low, low)), targets=x)
            loss = out.loss
            if disc:
                # (1) update the discriminator on real and super-resolved images
                d_loss = F.softplus(-disc(x)).mean() + F.softplus(disc(out.images.detach())).mean()
                opt_disc.zero_grad(set_to_none=True)
                accelerator.backward(d_loss)
                opt_disc.step()
                loss = loss + weight * F.softplus(-disc(out.images)).mean()
            # (2) update the super-resolution network
            optimizer.zero_grad(set_to_none=True)
            accelerator.backward(loss)
            optimizer.step()
            total, count, step = total + out.loss.item(), count + 1, step + 1
            if max_steps is not None and step >= max_steps:
                break
        history.append(total / count)
        if max_steps is not None and step >= max_steps:
            break
    return accelerator.unwrap_model(model).eval().cpu(), history


def train_text_gan(captioned: dict, recipe: Recipe, accelerator: Accelerator, max_steps=None):
    """(0) joint embedding (text encoder + image encoder, InfoNCE, 10% word dropout so [UNK] means 'unknown'),
    then with the text encoder frozen: (1) update the discriminator (GAN-CLS), (2) update the generator (GAN-INT)."""
    model = TextGAN(TextGANConfig(vocab=vocabulary(captioned["captions"])))
    tokens = model.tokenizer(captioned["captions"], padding="max_length", truncation=True, return_tensors="pt")
    loader = DataLoader(
        TensorDataset(captioned["images"], tokens["input_ids"], tokens["attention_mask"]),
        batch_size=recipe.batch_size,
        shuffle=True,
        drop_last=True,
        generator=torch.Generator().manual_seed(recipe.seed),
    )
    text_params = [*model.text_encoder.parameters(), *model.image_encoder.parameters()]
    opt_text = torch.optim.Adam(text_params, lr=1e-3)
    opt_disc = torch.optim.Adam(
        [*model.discriminator.parameters(), *model.logit.parameters(), *model.text_projection.parameters()],
        lr=recipe.learning_rate,
        betas=recipe.betas,
    )
    opt_gen = torch.optim.Adam(model.generator.parameters(), lr=recipe.learning_rate, betas=recipe.betas)
    model, opt_text, opt_disc, opt_gen, loader = accelerator.prepare(model, opt_text, opt_disc, opt_gen, loader)
    net, noise = accelerator.unwrap_model(model), torch.Generator(device=accelerator.device).manual_seed(recipe.seed)
    history, step = [], 0
    for epoch in range(recipe.warmup_epochs + recipe.epochs):
        warmup = epoch < recipe.warmup_epochs
        totals = []
        for x, ids, mask in tqdm(
            loader,
            desc=f"{'embedding' if warmup else 'GAN'} epoch {epoch + 1}",
            disable=not accelerator.is_local_main_process,
        ):
            if warmup:  # (0) the joint embedding
                drop = (torch.rand(ids.shape, generator=noise, device=ids.device) < 0.1) & mask.bool()
                loss = net.contrastive_loss(x, ids.masked_fill(drop, 1), mask)
                opt_text.zero_grad(set_to_none=True)
                accelerator.backward(loss)
                opt_text.step()
                totals.append(loss.item())
            else:
                with torch.no_grad():
                    text = net.text_encoder(ids, mask)
                    beta = torch.rand(len(x), 1, generator=noise, device=x.device)
                    mixed = F.normalize(beta * text + (1 - beta) * text.roll(1, 0), dim=1)
                z = torch.randn(2 * len(x), net.config.latent_dim, generator=noise, device=x.device)
                fake, fake_mixed = model(z[: len(x)], text), model(z[len(x) :], mixed)
                d_loss = net.discriminator_loss(x, fake, text, text.roll(1, 0))  # (1)
                opt_disc.zero_grad(set_to_none=True)
                accelerator.backward(d_loss)
                opt_disc.step()
                g_loss = net.generator_loss(fake, text, fake_mixed, mixed)  # (2)
                opt_gen.zero_grad(set_to_none=True)
                accelerator.backward(g_loss)
                opt_gen.step()
                totals.append(g_loss.item())
            step += 1
            if max_steps is not None and step >= max_steps:
                break
        history.append(sum(totals) / len(totals))
        if max_steps is not None and step >= max_steps:
            break
    return net.eval().cpu(), history


def text_gan_eval_sets(split: str = "test", limit: int | None = None) -> dict:
    """Seen phrasings and pairs, held-out phrasings, held-out colour x class pairs: (captions, labels, colours)."""
    sets = {}
    for name, phrasing, pairs in (
        ("seen", "seen", "seen"),
        ("held_out_phrasing", "held_out", "seen"),
        ("held_out_pairs", "seen", "held_out"),
    ):
        d = data.load_captioned(split, phrasing, pairs, seed=1, limit=limit)
        n = min(2000, len(d["captions"]))
        sets[name] = (d["captions"][:n], d["labels"][:n], d["colours"][:n])
    return sets


def train_walks(recipe: Recipe, split: dict, max_steps: int | None = None):
    """Steerable generator: fine-tune the GAN jointly with its walks (genhub.train.steerable); the fine-tuned
    generator replaces its checkpoint (weights only; card and log kept), the walks are returned."""
    from .steerable import train_steerable  # noqa: PLC0415

    name = recipe.config["generator_name"]
    gan, walks, log = train_steerable(
        load_model(name),
        split["train_images"],
        split["train_labels"],
        epochs=1,
        batch_size=recipe.batch_size,
        learning_rate=recipe.learning_rate,
        walk_learning_rate=5e-3,
        walk_weight=recipe.config["walk_weight"],
        seed=recipe.seed,
        generator_name=name,
        max_steps=recipe.epochs if max_steps is None else max_steps,
    )
    if max_steps is None:
        folder = CHECKPOINTS_DIR / name
        keep = {p.name: p.read_bytes() for p in folder.iterdir() if p.name not in ("config.json", "model.safetensors")}
        save_checkpoint(gan, folder, None, keep)
    walks.config.generator_revision = weights_revision(CHECKPOINTS_DIR / name)
    history = [r["walk_loss"] for r in log]
    return walks, [sum(history[i : i + 500]) / len(history[i : i + 500]) for i in range(0, len(history), 500)]


@torch.no_grad()
def sample_diagnostics(model, classifier, num_per_class: int = 50, seed: int = 0) -> tuple[list[float], float]:
    """Class histogram (by the evaluation classifier) of conditional samples, and their accuracy."""
    model.eval()
    requested = torch.arange(model.config.num_classes).repeat_interleave(num_per_class)
    images = model.generate(len(requested), class_labels=requested, generator=torch.Generator().manual_seed(seed))
    predicted = classifier.predict(images.cpu())
    model.train()
    return class_histogram(predicted, model.config.num_classes).tolist(), float((predicted == requested).float().mean())


def train_gan(model, images, labels, recipe: Recipe, accelerator: Accelerator, classifier=None, max_steps=None):
    """Two labelled updates per batch; logs the three pitfalls per step (losses, generator gradient norm,
    class histogram of samples every DIAGNOSTIC_EVERY steps)."""
    loader = make_loader(images, labels, recipe)
    opt_cost = torch.optim.Adam(model.cost.parameters(), lr=recipe.learning_rate, betas=recipe.betas)
    opt_gen = torch.optim.Adam(model.generator.parameters(), lr=recipe.learning_rate, betas=recipe.betas)
    model, opt_cost, opt_gen, loader = accelerator.prepare(model, opt_cost, opt_gen, loader)
    net = accelerator.unwrap_model(model)
    noise = torch.Generator(device=accelerator.device).manual_seed(recipe.seed)
    log = {
        k: []
        for k in (
            "cost_loss",
            "generator_loss",
            "energy_real",
            "energy_fake",
            "generator_grad_norm",
            "histogram_step",
            "class_histogram",
            "conditional_accuracy",
        )
    }
    step = 0
    for epoch in range(recipe.epochs):
        bar = tqdm(loader, desc=f"epoch {epoch + 1}/{recipe.epochs}", disable=not accelerator.is_local_main_process)
        for x, y in bar:
            z = torch.randn(len(x), net.config.latent_dim, generator=noise, device=x.device)
            y_fake = torch.randint(net.config.num_classes, (len(x),), generator=noise, device=x.device)
            fake = model(z, y_fake)
            # (1) update the cost network: L_C = C(x) + [m - C(G(z))]^+  (or the discriminator's loss)
            cost = net.cost_loss(x, fake, y, y_fake)
            opt_cost.zero_grad(set_to_none=True)
            accelerator.backward(cost.loss)
            opt_cost.step()
            # (2) update the generator: L_G = C(G(z)) (+ pulling-away)  (or softplus(-D(G(z))))
            gen = net.generator_loss(fake, y_fake)
            opt_gen.zero_grad(set_to_none=True)
            accelerator.backward(gen.loss)
            grad_norm = torch.cat([p.grad.flatten() for p in net.generator.parameters() if p.grad is not None]).norm()
            opt_gen.step()
            for key, value in (
                ("cost_loss", cost.loss),
                ("generator_loss", gen.loss),
                ("energy_real", cost.energy_real),
                ("energy_fake", cost.energy_fake),
                ("generator_grad_norm", grad_norm),
            ):
                log[key].append(round(float(value.detach()), 5))
            if classifier is not None and step % DIAGNOSTIC_EVERY == 0:
                histogram, accuracy = sample_diagnostics(net, classifier)
                log["histogram_step"].append(step)
                log["class_histogram"].append([round(h, 4) for h in histogram])
                log["conditional_accuracy"].append(accuracy)
            bar.set_postfix(L_C=f"{log['cost_loss'][-1]:.2f}", L_G=f"{log['generator_loss'][-1]:.2f}")
            step += 1
            if max_steps is not None and step >= max_steps:
                return net.eval().cpu(), log
    return net.eval().cpu(), log


def diagnostics_plot(log: dict, title: str) -> bytes:
    """The three pitfalls as a PNG: losses and energies, generator gradient norm, class histogram over
    training, and the loss oscillation (rolling std of L_G over 100 steps)."""
    import matplotlib

    matplotlib.use("Agg")
    import io

    import matplotlib.pyplot as plt
    import numpy as np

    def smooth(values, window=50):
        v = np.asarray(values, dtype=float)
        return np.convolve(v, np.ones(window) / window, mode="valid") if len(v) > window else v

    fig, axes = plt.subplots(2, 2, figsize=(11, 7), dpi=90)
    a = axes[0, 0]
    for key in ("cost_loss", "generator_loss", "energy_real", "energy_fake"):
        a.plot(smooth(log[key]), label=key, lw=1)
    a.set(title="losses and energies (moving mean of 50 steps)", xlabel="step")
    a.legend(fontsize=8)
    a = axes[0, 1]
    a.semilogy(smooth(log["generator_grad_norm"], 10), lw=1, color="#c44e52")
    a.set(title="gradient norm reaching the generator (vanishing gradients)", xlabel="step")
    a = axes[1, 0]
    if log["class_histogram"]:
        hist = np.asarray(log["class_histogram"]).T
        a.imshow(
            hist,
            aspect="auto",
            cmap="viridis",
            vmin=0,
            vmax=max(0.3, hist.max()),
            extent=[0, log["histogram_step"][-1] + DIAGNOSTIC_EVERY, hist.shape[0] - 0.5, -0.5],
        )
        a.plot(
            log["histogram_step"],
            np.asarray(log["conditional_accuracy"]) * 9,
            color="white",
            lw=1,
            label="conditional accuracy (0..1 scaled to 0..9)",
        )
        a.legend(fontsize=7, loc="lower right")
    a.set(title="class histogram of samples by the classifier (mode collapse)", xlabel="step", ylabel="class")
    a = axes[1, 1]
    g = np.asarray(log["generator_loss"], dtype=float)
    if len(g) > 100:
        rolling = np.lib.stride_tricks.sliding_window_view(g, 100).std(1)
        a.plot(np.arange(99, len(g)), rolling, lw=1, color="#8172b2")
    a.set(title="rolling std of L_G over 100 steps (unstable convergence)", xlabel="step")
    fig.suptitle(title)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()


def walks_table(figures: dict[str, dict]) -> str:
    lines = [
        "| edit @ alpha | relative_l2 | measure | target | achieved | class_accuracy |",
        "|---|---|---|---|---|---|",
    ]
    for key, f in figures.items():
        lines.append(
            f"| {key} | {f['relative_l2']:.3f} | {f['measure']} | {f['target']:.3g} | {f['achieved']:.3g} | "
            f"{f.get('class_accuracy', float('nan')):.3f} |"
        )
    return "\n".join(lines)


def figures_table(rows: dict[str, dict[str, float]]) -> str:
    """Markdown table: one row per model, one column per figure."""
    columns = list(next(iter(rows.values())))
    lines = ["| model | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for name, figures in rows.items():
        lines.append(f"| {name} | " + " | ".join(f"{figures[c]:.4g}" for c in columns) + " |")
    return "\n".join(lines)


def preview(model, recipe: Recipe, split: dict) -> bytes:
    """A PNG for the card: input / corrupted / reconstruction rows (autoencoders), reconstructions and
    samples (VAE), test images by predicted class (classifier), or one row of samples per class (GAN)."""
    x = split["test_images"][:12]
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        if recipe.family == "autoencoder":
            x_tilde = corrupt(x, model.config.noise_type, model.config.noise_level, generator)
            rows = torch.cat([x, x_tilde, model.decode(model.encode(x_tilde))])
        elif recipe.family == "vae":
            rows = torch.cat([x, model(x, sample=False).reconstruction, model.generate(24, generator=generator)])
        elif recipe.family == "classifier":
            images = split["test_images"][:2000]
            predicted = model.eval().predict(images)
            rows = torch.cat([images[predicted == c][:12] for c in range(model.config.num_classes)])
        elif recipe.family == "text_gan":
            captions = [
                f"a {c} {item}" for c in ("red", "blue", "yellow", "white") for item in ("dress", "sneaker", "bag")
            ]
            rows = model.generate(captions, num_images_per_caption=6, generator=generator)
            return png_bytes(grid(rows, ncols=12, scale=3))
        elif recipe.family == "walks":
            gan = load_model(recipe.config["generator_name"])
            z, y = gan.sample_inputs(1, "Sneaker", None, 1.0, generator)
            rows = torch.cat(
                [
                    gan.generate(latents=model(z, {edit: a}), class_labels=y)
                    for edit, (low_a, _, high_a) in EDIT_RANGES.items()
                    for a in (
                        [low_a + (high_a - low_a) * t / 8 for t in range(9)]
                        if edit != "zoom"
                        else [2 ** (t / 4 - 1) for t in range(9)]
                    )
                ]
            )
            return png_bytes(grid(rows, ncols=9, scale=3))
        elif recipe.family == "super_resolution":
            low = bicubic(x, (28 // model.config.scale,) * 2)
            rows = torch.cat([bicubic(low, (28, 28)), model(low).images, x])  # bicubic / learned / original
        else:
            rows = model.generate(120, class_labels=torch.arange(10).repeat_interleave(12), generator=generator)
    return png_bytes(grid(rows, ncols=12, scale=3))


CARD_TEXT = {  # family -> (how to read the figures, how to use it, pipeline tag)
    "autoencoder": (
        "`loss`: the model's reconstruction loss (BCE, nats/image) on clean test images; `loss_<noise>`: "
        "the same loss against the clean image when the input is corrupted (level 0.5); "
        "`jacobian_frobenius_sq`: mean ||dh/dx||_F^2 (smaller = more contractive).",
        'model = genhub.load_model("{name}")\nx_hat = model.decode(model.encode(images))  # (N, 1, 28, 28) in [0, 1]',
        "image-to-image",
    ),
    "vae": (
        "`negative_elbo` = `reconstruction` + `kl` in nats/image (beta = 1, one z sample); `objective` is what "
        "training minimised (reconstruction + beta * KL); `active_units`: latent dims with Var E(z) > 0.01.",
        'vae = genhub.load_model("{name}")\nimages = vae.generate(16, generator=torch.Generator().manual_seed(0))',
        "unconditional-image-generation",
    ),
    "classifier": (
        "Accuracy on the 10,000 test images; `worst_class_accuracy`: the lowest per-class accuracy.",
        'clf = genhub.load_model("{name}")\nlabels = clf.predict(images); features = clf.features(images)',
        "image-classification",
    ),
    "gan": (
        "On 10,000 samples (1,000 per class) against the 10,000 test images, in the evaluation classifier's "
        "128-d feature space: `fid` (classifier-FID; `fid_floor`: 10,000 train images vs test), "
        "`conditional_accuracy` (classifier agrees with the requested class; floor: the classifier's test "
        "accuracy), `mode_kl` (KL of the class histogram of 10,000 unconditional samples to the test set's; "
        "0 = all modes in proportion), k-NN `precision`/`recall` (k = 3, 5,000 each; with real-vs-real floors).",
        'gan = genhub.load_model("{name}")\nimages = gan.generate(16, class_labels="Sneaker", truncation=0.8,\n'
        "                      generator=torch.Generator().manual_seed(0))",
        "unconditional-image-generation",
    ),
    "walks": (
        "Per edit and alpha, on 200 generated images of random classes: `relative_l2`, the masked L2 between "
        "G(z + a w) and edit(G(z), alpha) over that between G(z) and the edit (1 = no better than not moving, "
        "0 = the edit exactly); `target` and `achieved`, the median change of the stated measure (image "
        "moments) on the edited and on the walked images; `class_accuracy`, the evaluation classifier's "
        "agreement with the class along the walk. Where `achieved` falls short of `target` is the limit of "
        "steerability (Jahanian 2019, sec. 4).",
        'from genhub.operations import steer\ngan = genhub.load_model("{generator}")  # its walks load with it\n'
        'images = steer(gan, "zoom", 1.5, class_labels="Sneaker", generator=torch.Generator().manual_seed(0))',
        "unconditional-image-generation",
    ),
    "text_gan": (
        "Per evaluation set (captions of Fashion-MNIST test items, colourised): `class_accuracy`, the "
        "evaluation classifier on the generated items' grey level vs the requested class; `colour_accuracy`, "
        "the dominant colour from the pixels vs the requested palette colour; `per_class_fid`, classifier-FID "
        "against real test items of the class, averaged over classes; `r_precision`, the true caption ranked "
        "first among 100 in the joint embedding. `held_out_phrasing` uses templates never seen in training "
        "(unknown words become [UNK]); `held_out_pairs` asks for colour x class pairs never seen in training.",
        'txt = genhub.load_model("{name}")\nimages = txt.generate(["a red dress"], num_images_per_caption=4,\n'
        "                      generator=torch.Generator().manual_seed(0))",
        "text-to-image",
    ),
    "super_resolution": (
        "PSNR (dB) and SSIM over the 10,000 test images, each downscaled by the factor (antialiased "
        "bicubic) and restored, against the original; `*_bicubic`: bicubic upscaling, the baseline. "
        "Preview rows: bicubic, this model, original.",
        'from genhub.operations import super_resolve\nsr = genhub.load_model("{name}")\n'
        'high = super_resolve(low, scale=sr.config.scale, method="learned", model=sr)',
        "image-to-image",
    ),
}


DATA_TEXT = {
    "text_gan": "Fashion-MNIST train items colourised with one of 9 palette colours (`genhub.data.PALETTE`: "
    "the grey level scales the colour, on black) and captioned from class and colour with 10 "
    "templates and synonyms; 3 more templates and 5 colour x class pairs "
    "(`HELD_OUT_PAIRS`) never appear in training. Figures on the test items.",
    "walks": "Fashion-MNIST train images (60,000), each batch also edited by the six edits of "
    "`genhub.models.walks` (random alpha over each range) as the real side of the adversarial game; "
    "the walk targets are the edits applied to the generator's own samples.",
}


def write_card(
    name: str,
    recipe: Recipe,
    model,
    figures: dict,
    history: list[float],
    seconds: float,
    diagnostics: str = "",
    threads: int | None = None,
):
    rows = {name: figures}
    for other in recipe.compare_with:
        log = CHECKPOINTS_DIR / other / "training_log.json"
        if log.exists():
            rows[other] = json.loads(log.read_text())["test_figures"]
    meaning, use, kind = CARD_TEXT[recipe.family]
    table = (
        walks_table(figures)
        if recipe.family == "walks"
        else figures_table(figures)
        if recipe.family == "text_gan"
        else figures_table(rows)
    )
    unit = f"{recipe.epochs} steps over all edits" if recipe.family == "walks" else f"{len(history)} epochs"
    sections = {
        "Use": f"```python\nimport genhub, torch\n{use.format(name=name, generator=recipe.config.get('generator_name'))}\n```",
        "Data": DATA_TEXT.get(
            recipe.family,
            "Fashion-MNIST (Debian `dataset-fashion-mnist`): trained on the 60,000 "
            "train images, figures on the 10,000 test images; pixels in [0, 1].",
        ),
        "Training recipe": f"`python -m genhub.train {name}`: {recipe.description}; Adam (betas {recipe.betas}), "
        f"learning rate {recipe.learning_rate}, batch {recipe.batch_size}, {unit}, seed {recipe.seed}; "
        f"{seconds / 60:.1f} min with {threads or torch.get_num_threads()} CPU thread(s). Train loss per "
        f"{'500 steps' if recipe.family == 'walks' else 'epoch'}: " + ", ".join(f"{v:.3g}" for v in history),
        "Test figures (measured)": table + "\n\n" + meaning + (f"\n\n{recipe.notes}" if recipe.notes else ""),
        "Preview": "![preview](preview.png)",
    }
    if diagnostics:
        sections["Training diagnostics: the three pitfalls"] = diagnostics + "\n\n![diagnostics](diagnostics.png)"
    summary = f"{recipe.description[0].upper()}{recipe.description[1:]}, trained on Fashion-MNIST."
    return make_card(
        f"genhub / {name}",
        summary,
        sections,
        pipeline_tag=kind,
        tags=[recipe.family, "fashion-mnist"],
        metrics=["loss"] if recipe.family != "gan" else ["fid"],
    )


def gan_summary(log: dict, steps_per_epoch: int) -> tuple[list[float], str]:
    """Per-epoch mean L_G, and a paragraph of figures about the pitfalls from the per-step log."""
    import numpy as np

    g, norms = np.asarray(log["generator_loss"]), np.asarray(log["generator_grad_norm"])
    history = [float(g[i : i + steps_per_epoch].mean()) for i in range(0, len(g), steps_per_epoch)]
    tenth = max(1, len(g) // 10)
    rolling = np.lib.stride_tricks.sliding_window_view(g, min(100, len(g))).std(1)
    hist = np.asarray(log["class_histogram"][-1]) if log["class_histogram"] else np.full(10, np.nan)
    text = (
        f"Logged every step ({len(g)} steps; `training_log.json` has the raw series). Generator gradient norm: "
        f"median {np.median(norms[:tenth]):.3g} in the first tenth of training, {np.median(norms[-tenth:]):.3g} "
        f"in the last (vanishing gradients show as a collapse towards 0). Class histogram of 500 conditional "
        f"samples at the end: min {hist.min():.3f}, max {hist.max():.3f} (uniform = 0.1; mode collapse shows as "
        f"empty classes); conditional accuracy {log['conditional_accuracy'][-1] if log['conditional_accuracy'] else float('nan'):.3f}. "
        f"Rolling std of L_G over 100 steps: median {np.median(rolling):.3g}, max {rolling.max():.3g} "
        f"(unstable convergence shows as bursts)."
    )
    return history, text


def evaluate(model, recipe: Recipe, split: dict, num_samples: int = 10000) -> dict:
    if recipe.family == "autoencoder":
        return evaluate_autoencoder(model, split["test_images"])
    if recipe.family == "vae":
        return evaluate_vae(model, split["test_images"])
    if recipe.family == "classifier":
        return evaluate_classifier(model, split["test_images"], split["test_labels"])
    if recipe.family == "super_resolution":
        return evaluate_super_resolution(model, split["test_images"])
    if recipe.family == "text_gan":
        limit = None if len(split["test_images"]) > 1000 else 2000
        real = {c: split["test_images"][split["test_labels"] == c] for c in range(10)}
        palette = torch.tensor(list(data.PALETTE.values()))
        return evaluate_text_gan(model, load_model(CLASSIFIER), text_gan_eval_sets("test", limit), palette, real)
    if recipe.family == "walks":
        return evaluate_walks(
            load_model(recipe.config["generator_name"]),
            model,
            load_model(CLASSIFIER),
            num_images=200 if len(split["test_images"]) > 1000 else 20,
        )
    return evaluate_gan(
        model,
        load_model(CLASSIFIER),
        split["test_images"],
        split["test_labels"],
        split["train_images"][: len(split["test_images"])],
        num_samples=num_samples,
        pr_samples=min(5000, num_samples),
    )


def tokenizer_files(model) -> dict[str, bytes]:
    """The text GAN's tokenizer as files beside the weights, so AutoTokenizer loads it from the folder too."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        model.tokenizer.save_pretrained(folder)
        return {p.name: p.read_bytes() for p in Path(folder).iterdir() if p.is_file()}


def load_split(dry_run: bool = False) -> dict:
    (train_x, train_y), (test_x, test_y) = data.load_fashion_mnist("train"), data.load_fashion_mnist("test")
    split = {
        "train_images": data.as_float_images(train_x),
        "train_labels": train_y,
        "test_images": data.as_float_images(test_x),
        "test_labels": test_y,
    }
    if dry_run:
        split = {k: v[:1000] if k.startswith("test") else v[:64] for k, v in split.items()}
    return split


def rewrite_card(name: str, folder: Path, reuse_figures: bool = False) -> Path:
    """Rewrite a saved checkpoint's card and log (weights unchanged), re-evaluating on the test split
    unless reuse_figures."""
    recipe, model = RECIPES[name], load_model(folder)
    log = json.loads((folder / "training_log.json").read_text())
    split = load_split()
    if not reuse_figures:
        log["test_figures"] = evaluate(model, recipe, split)
    diagnostics = gan_summary(log["steps"], log["steps_per_epoch"])[1] if "steps" in log else ""
    card = write_card(
        name,
        recipe,
        model,
        log["test_figures"],
        log["train_loss_per_epoch"],
        log["train_seconds"],
        diagnostics,
        log.get("threads"),
    )
    keep = {
        p.name: p.read_bytes()
        for p in folder.iterdir()  # tokenizer files, diagnostics, ...: carried over
        if p.is_file() and p.name not in ("README.md", "config.json", "model.safetensors")
    }
    extras = keep | {"training_log.json": json.dumps(log).encode(), "preview.png": preview(model, recipe, split)}
    return save_checkpoint(model, folder, card, extras)


def main(argv: list[str] | None = None) -> Path | None:
    parser = argparse.ArgumentParser(prog="python -m genhub.train", description=__doc__.splitlines()[0])
    parser.add_argument("recipe", choices=sorted(RECIPES))
    parser.add_argument("--epochs", type=int, help="override the recipe's number of epochs")
    parser.add_argument("--output", help="checkpoint folder (default: checkpoints/<recipe>)")
    parser.add_argument("--dry-run", action="store_true", help="2 steps on a small batch, no checkpoint written")
    parser.add_argument(
        "--card-only", action="store_true", help="re-evaluate the saved checkpoint and rewrite its card"
    )
    parser.add_argument("--reuse-figures", action="store_true", help="with --card-only: keep the logged test figures")
    args = parser.parse_args(argv)
    recipe = RECIPES[args.recipe]
    if args.card_only:
        folder = Path(args.output) if args.output else CHECKPOINTS_DIR / args.recipe
        return rewrite_card(args.recipe, folder, args.reuse_figures)
    if args.epochs:
        recipe = replace(recipe, epochs=args.epochs)
    if args.dry_run:
        recipe = replace(recipe, batch_size=16)
    set_seed(recipe.seed)
    accelerator = Accelerator()
    split = load_split(args.dry_run)
    max_steps = 2 if args.dry_run else None
    start, extras, diagnostics = time.time(), {}, ""
    if recipe.family == "gan":
        model, steps = train_gan(
            build_model(recipe),
            split["train_images"],
            split["train_labels"],
            recipe,
            accelerator,
            load_model(CLASSIFIER),
            max_steps,
        )
        steps_per_epoch = len(split["train_images"]) // recipe.batch_size
        history, diagnostics = gan_summary(steps, steps_per_epoch)
        extras["diagnostics.png"] = diagnostics_plot(steps, f"{args.recipe}: training diagnostics")
    elif recipe.family == "text_gan":
        captioned = data.load_captioned("train", limit=64 if args.dry_run else None)
        model, history = train_text_gan(
            captioned,
            replace(recipe, warmup_epochs=1 if args.dry_run else recipe.warmup_epochs),
            accelerator,
            max_steps,
        )
        extras |= tokenizer_files(model)
    elif recipe.family == "walks":
        model, history = train_walks(recipe, split, max_steps)
    elif recipe.family == "super_resolution":
        model, history = train_super_resolution(
            build_model(recipe), split["train_images"], recipe, accelerator, max_steps
        )
    else:
        model, history = train_model(
            build_model(recipe), split["train_images"], recipe, accelerator, max_steps, labels=split["train_labels"]
        )
    seconds = time.time() - start
    figures = evaluate(model, recipe, split, num_samples=1000 if args.dry_run else 10000)
    accelerator.print(json.dumps({"recipe": args.recipe, "train_loss": history, "test": figures}, indent=1))
    if args.dry_run or not accelerator.is_main_process:
        return None
    folder = Path(args.output) if args.output else CHECKPOINTS_DIR / args.recipe
    log = {
        "recipe": args.recipe,
        "train_loss_per_epoch": history,
        "test_figures": figures,
        "train_seconds": seconds,
        "threads": torch.get_num_threads(),
    }
    if recipe.family == "gan":
        log |= {"steps": steps, "steps_per_epoch": steps_per_epoch}
    extras |= {"training_log.json": json.dumps(log).encode(), "preview.png": preview(model, recipe, split)}
    save_checkpoint(
        model,
        folder,
        write_card(args.recipe, recipe, model, figures, history, seconds, diagnostics, log["threads"]),
        extras,
    )
    load_model(folder)  # the written checkpoint loads strictly
    accelerator.print(f"saved {folder}")
    return folder


if __name__ == "__main__":
    main()
