"""Reproduce every shipped checkpoint: `python -m genhub.train <recipe> [--epochs N] [--dry-run]`.

Trains on the Fashion-MNIST train split through Hugging Face Accelerate (CPU here; a GPU, or several
with `accelerate launch -m genhub.train <recipe>`, when present), evaluates on the test split, and
writes the checkpoint folder (config, safetensors, model card with the measured figures) atomically.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch
from accelerate import Accelerator
from accelerate.utils import set_seed
from torch.utils.data import DataLoader, TensorDataset
from tqdm.auto import tqdm

from . import data
from .hub import make_card, save_checkpoint
from .images import grid, png_bytes
from .metrics import evaluate_autoencoder, evaluate_vae
from .models import CHECKPOINTS_DIR, VAE, Autoencoder, AutoencoderConfig, VAEConfig, load_model
from .models.autoencoder import corrupt


@dataclass
class Recipe:
    family: str  # "autoencoder" or "vae"
    description: str  # one line for the card
    config: dict  # architecture and objective (the model's config)
    epochs: int = 20
    batch_size: int = 128
    learning_rate: float = 1e-3
    seed: int = 0
    compare_with: list[str] = field(default_factory=list)  # checkpoints whose test figures the card quotes


RECIPES = {
    "fashion-ae-under": Recipe("autoencoder", "under-complete (d = 64 < n = 784) tied autoencoder, BCE loss",
                               dict(hidden_size=64, tied_weights=True)),
    "fashion-ae-over": Recipe("autoencoder", "over-complete (d = 1024 > n = 784) tied autoencoder, BCE loss",
                              dict(hidden_size=1024, tied_weights=True)),
    "fashion-dae": Recipe("autoencoder", "over-complete tied denoising autoencoder, gaussian noise std 0.5",
                          dict(hidden_size=1024, tied_weights=True, noise_type="gaussian", noise_level=0.5),
                          compare_with=["fashion-ae-over"]),
    "fashion-cae": Recipe("autoencoder", "over-complete tied contractive autoencoder, lambda = 0.5",
                          dict(hidden_size=1024, tied_weights=True, contractive_weight=0.5),
                          compare_with=["fashion-ae-over"]),
    "fashion-ae-untied": Recipe("autoencoder", "under-complete (d = 64) untied autoencoder, BCE loss",
                                dict(hidden_size=64, tied_weights=False), compare_with=["fashion-ae-under"]),
    "fashion-vae": Recipe("vae", "convolutional VAE, d = 16, beta = 1", dict(latent_dim=16, beta=1.0), epochs=30),
    "fashion-beta-vae": Recipe("vae", "convolutional beta-VAE, d = 16, beta = 4", dict(latent_dim=16, beta=4.0),
                               epochs=30, compare_with=["fashion-vae"]),
}
FAMILY_CLASSES = {"autoencoder": (AutoencoderConfig, Autoencoder), "vae": (VAEConfig, VAE)}


def build_model(recipe: Recipe):
    config_class, model_class = FAMILY_CLASSES[recipe.family]
    return model_class(config_class(**recipe.config, class_names=list(data.FASHION_CLASSES)))


def train_model(model, images: torch.Tensor, recipe: Recipe, accelerator: Accelerator, max_steps: int | None = None):
    """The training loop: Adam on the model's own loss; returns the per-epoch mean losses."""
    loader = DataLoader(TensorDataset(images), batch_size=recipe.batch_size, shuffle=True, drop_last=True,
                        generator=torch.Generator().manual_seed(recipe.seed))
    optimizer = torch.optim.Adam(model.parameters(), lr=recipe.learning_rate)
    model, optimizer, loader = accelerator.prepare(model, optimizer, loader)
    history = []
    for epoch in range(recipe.epochs):
        model.train()
        total, count = 0.0, 0
        bar = tqdm(loader, desc=f"epoch {epoch + 1}/{recipe.epochs}", disable=not accelerator.is_local_main_process)
        for step, (x,) in enumerate(bar):
            loss = model(x).loss
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


def figures_table(rows: dict[str, dict[str, float]]) -> str:
    """Markdown table: one row per model, one column per figure."""
    columns = list(next(iter(rows.values())))
    lines = ["| model | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for name, figures in rows.items():
        lines.append(f"| {name} | " + " | ".join(f"{figures[c]:.4g}" for c in columns) + " |")
    return "\n".join(lines)


def preview(model, recipe: Recipe, test_images: torch.Tensor) -> bytes:
    """A PNG for the card: input / corrupted / reconstruction rows, or VAE samples over reconstructions."""
    x = test_images[:12]
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        if recipe.family == "autoencoder":
            x_tilde = corrupt(x, model.config.noise_type, model.config.noise_level, generator)
            rows = torch.cat([x, x_tilde, model.decode(model.encode(x_tilde))])
        else:
            rows = torch.cat([x, model(x, sample=False).reconstruction, model.generate(24, generator=generator)])
    return png_bytes(grid(rows, ncols=12, scale=3))


def write_card(name: str, recipe: Recipe, model, figures: dict, history: list[float], seconds: float):
    rows = {name: figures}
    for other in recipe.compare_with:
        log = CHECKPOINTS_DIR / other / "training_log.json"
        if log.exists():
            rows[other] = json.loads(log.read_text())["test_figures"]
    if recipe.family == "autoencoder":
        meaning = ("`loss`: the model's reconstruction loss (BCE, nats/image) on clean test images; "
                   "`loss_<noise>`: the same loss against the clean image when the input is corrupted "
                   "(level 0.5); `jacobian_frobenius_sq`: mean ||dh/dx||_F^2 (smaller = more contractive).")
        use = f'model = genhub.load_model("{name}")\nx_hat = model.decode(model.encode(images))  # (N, 1, 28, 28) in [0, 1]'
    else:
        meaning = ("`negative_elbo` = `reconstruction` + `kl` in nats/image (beta = 1, one z sample); `objective` "
                   "is what training minimised (reconstruction + beta * KL); `active_units`: latent dims with Var E(z) > 0.01.")
        use = f'vae = genhub.load_model("{name}")\nimages = vae.generate(16, generator=torch.Generator().manual_seed(0))'
    sections = {
        "Use": f"```python\nimport genhub, torch\n{use}\n```",
        "Data": "Fashion-MNIST (Debian `dataset-fashion-mnist`): trained on the 60,000 train images, "
                "figures on the 10,000 test images; pixels scaled to [0, 1].",
        "Training recipe": f"`python -m genhub.train {name}`: {recipe.description}; Adam, learning rate "
                           f"{recipe.learning_rate}, batch {recipe.batch_size}, {len(history)} epochs, seed {recipe.seed}; "
                           f"{seconds / 60:.1f} min on 2 CPU cores. Train loss per epoch: "
                           + ", ".join(f"{v:.1f}" for v in history),
        "Test figures (measured)": figures_table(rows) + "\n\n" + meaning,
        "Preview": "![preview](preview.png)",
    }
    kind = "image-to-image" if recipe.family == "autoencoder" else "unconditional-image-generation"
    return make_card(f"genhub / {name}", f"A {recipe.description}, trained on Fashion-MNIST.", sections,
                     pipeline_tag=kind, tags=[recipe.family, "fashion-mnist"], metrics=["loss"])


def main(argv: list[str] | None = None) -> Path | None:
    parser = argparse.ArgumentParser(prog="python -m genhub.train", description=__doc__.splitlines()[0])
    parser.add_argument("recipe", choices=sorted(RECIPES))
    parser.add_argument("--epochs", type=int, help="override the recipe's number of epochs")
    parser.add_argument("--output", help="checkpoint folder (default: checkpoints/<recipe>)")
    parser.add_argument("--dry-run", action="store_true", help="one small batch of 2 steps, no checkpoint written")
    args = parser.parse_args(argv)
    recipe = RECIPES[args.recipe]
    if args.epochs:
        recipe.epochs = args.epochs
    set_seed(recipe.seed)
    accelerator = Accelerator()
    train_images = data.as_float_images(data.load_fashion_mnist("train")[0])
    test_images = data.as_float_images(data.load_fashion_mnist("test")[0])
    if args.dry_run:
        recipe.batch_size = 16
        train_images, test_images = train_images[:64], test_images[:32]
    start = time.time()
    model, history = train_model(build_model(recipe), train_images, recipe, accelerator,
                                 max_steps=2 if args.dry_run else None)
    seconds = time.time() - start
    evaluate = evaluate_autoencoder if recipe.family == "autoencoder" else evaluate_vae
    figures = evaluate(model, test_images)
    accelerator.print(json.dumps({"recipe": args.recipe, "train_loss": history, "test": figures}, indent=1))
    if args.dry_run or not accelerator.is_main_process:
        return None
    folder = Path(args.output) if args.output else CHECKPOINTS_DIR / args.recipe
    log = {"recipe": args.recipe, "train_loss_per_epoch": history, "test_figures": figures, "train_seconds": seconds}
    save_checkpoint(model, folder, write_card(args.recipe, recipe, model, figures, history, seconds),
                    {"training_log.json": json.dumps(log, indent=1).encode(), "preview.png": preview(model, recipe, test_images)})
    load_model(folder)  # the written checkpoint loads strictly
    accelerator.print(f"saved {folder}")
    return folder


if __name__ == "__main__":
    main()
