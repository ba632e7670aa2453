"""What `python -m genhub.train` runs once its arguments are parsed: training through Accelerate, evaluation on
the main process, the atomic checkpoint write. Kept apart from `__main__` so `--help` imports no torch."""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from dataclasses import replace
from pathlib import Path

import torch
from accelerate import Accelerator
from accelerate.utils import set_seed

from .. import data
from ..hub import save_checkpoint
from ..models import (
    CHECKPOINTS_DIR,
    load_model,
)
from .cards import gan_summary, write_card
from .families import FAMILIES, evaluate
from .loop import RunState
from .recipes import RECIPES


def load_split(dry_run: bool = False, dataset: str = "fashion-mnist") -> dict:
    """The dataset's train and test images (N, C, H, W) in [0, 1] and labels, from its row in genhub.data.DATASETS
    (Fashion-MNIST for a recipe on photos, which loads them itself); dry_run: 64 train and 1,000 test items."""
    spec = data.DATASETS.get(dataset, data.DATASETS["fashion-mnist"])
    (train_x, train_y), (test_x, test_y) = spec.loader("train"), spec.loader("test")
    split = {"train_images": train_x, "train_labels": train_y, "test_images": test_x, "test_labels": test_y}
    if dry_run:
        split = {k: v[:1000] if k.startswith("test") else v[:64] for k, v in split.items()}
    return split


def rewrite_card(name: str, folder: Path, reuse_figures: bool = False) -> Path:
    """Rewrite a saved checkpoint's card and log (weights unchanged), re-evaluating on the test split
    unless reuse_figures."""
    recipe, model = RECIPES[name], load_model(folder)
    family = FAMILIES[recipe.family]
    log = json.loads((folder / "training_log.json").read_text())
    split = load_split(dataset=recipe.dataset)
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
        log.get("device"),
        family.card,
    )
    keep = {
        p.name: p.read_bytes()
        for p in folder.iterdir()  # tokenizer files, diagnostics, ...: carried over
        if p.is_file() and p.name not in ("README.md", "config.json", "model.safetensors")
    }
    extras = keep | {"training_log.json": json.dumps(log).encode(), "preview.png": family.preview(model, recipe, split)}
    if family.card_files is not None:
        extras |= family.card_files(model, recipe)
    return save_checkpoint(model, folder, card, extras)


def with_overrides(recipe, args, parser):
    """The recipe with the command line's overrides (epochs, batch size, learning rate, seed, R1 weight, learning-rate decay, config
    fields)."""
    changes = {
        k: v
        for k, v in (
            ("epochs", args.epochs),
            ("batch_size", args.batch_size),
            ("learning_rate", args.learning_rate),
            ("seed", args.seed),
            ("r1_weight", args.r1_weight),
            ("lr_decay_start", args.lr_decay_start),
        )
        if v is not None
    }
    config = dict(recipe.config)
    for item in args.config:
        key, _, value = item.partition("=")
        if not key or not _:
            parser.error(f"--config takes KEY=VALUE, got {item!r}")
        try:
            config[key] = json.loads(value)
        except json.JSONDecodeError:
            config[key] = value
    return replace(recipe, config=config, **changes)


def weights_digest(model) -> str:
    """sha256 prefix over the model's parameters (ranks that trained in step print the same; batch-norm running
    statistics are buffers each rank updates from its own last batch, so they are left out)."""
    digest = hashlib.sha256()
    for name, tensor in sorted(model.named_parameters()):
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()[:16]


def device_name(device: torch.device) -> str | None:
    """What the card says a run trained on when it was not the CPU, e.g. 'one NVIDIA H200 GPU' ('one mps device'
    for other accelerators); None for the CPU, whose thread count the card gives instead."""
    if device.type == "cpu":
        return None
    return f"one {torch.cuda.get_device_name(device)} GPU" if device.type == "cuda" else f"one {device.type} device"


def save_trained(
    name: str, recipe, trained, figures: dict, seconds: float, split: dict, folder: Path, device: str | None = None
) -> Path:
    """Write the checkpoint folder (weights, config, card, log, preview) atomically; check it loads strictly.
    device: the accelerator it trained on (None: the CPU, whose thread count the card gives)."""
    log = (
        {
            "recipe": name,
            "train_loss_per_epoch": trained.history,
            "test_figures": figures,
            "train_seconds": seconds,
            "threads": torch.get_num_threads(),
        }
        | ({"device": device} if device else {})
        | trained.log
    )
    family = FAMILIES[recipe.family]
    extras = trained.extras | {
        "training_log.json": json.dumps(log).encode(),
        "preview.png": family.preview(trained.model, recipe, split),
    }
    card = write_card(
        name,
        recipe,
        trained.model,
        figures,
        trained.history,
        seconds,
        trained.diagnostics,
        log["threads"],
        log.get("device"),
        family.card,
    )
    save_checkpoint(trained.model, folder, card, extras)
    load_model(folder)  # the written checkpoint loads strictly
    return folder


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> Path | None:
    """Train (or rewrite the card of) the recipe the parsed command line names; the main process saves."""
    recipe = with_overrides(RECIPES[args.recipe], args, parser)
    if args.card_only:
        folder = Path(args.output) if args.output else CHECKPOINTS_DIR / args.recipe
        return rewrite_card(args.recipe, folder, args.reuse_figures)
    if args.dry_run:
        recipe = replace(recipe, batch_size=16)
    set_seed(recipe.seed)
    runs = Path("runs") / args.recipe
    accelerator = Accelerator(
        mixed_precision=args.mixed_precision,
        project_dir=str(runs),
        log_with=None if args.tracker == "none" else args.tracker,
    )
    if args.tracker != "none":
        accelerator.init_trackers(args.recipe, config={k: str(v) for k, v in vars(recipe).items()})
    run = RunState(runs, args.save_every, args.resume_from_checkpoint)
    split = load_split(args.dry_run, recipe.dataset)
    max_steps = 2 if args.dry_run else None
    start = time.time()
    trained = FAMILIES[recipe.family].train(recipe, split, accelerator, max_steps, args.recipe, run)
    accelerator.end_training()
    model, seconds = trained.model, time.time() - start
    if args.digest:
        print(
            f"rank {accelerator.process_index} of {accelerator.num_processes} {accelerator.distributed_type} "
            f"digest {weights_digest(model)}",
            flush=True,
        )
    if not accelerator.is_main_process:  # evaluation and saving: the main process alone
        return None
    figures = evaluate(model, recipe, split, num_samples=1000 if args.dry_run else 10000)
    accelerator.print(json.dumps({"recipe": args.recipe, "train_loss": trained.history, "test": figures}, indent=1))
    if args.dry_run:
        return None
    folder = save_trained(
        args.recipe,
        recipe,
        trained,
        figures,
        seconds,
        split,
        Path(args.output) if args.output else CHECKPOINTS_DIR / args.recipe,
        device_name(accelerator.device),
    )
    accelerator.print(f"saved {folder}")
    return folder
