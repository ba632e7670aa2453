"""Reproduce every shipped checkpoint: `python -m genhub.train <recipe> [--epochs N] [--dry-run]`.

Trains on the Fashion-MNIST train split through Hugging Face Accelerate (CPU here; a GPU, or several
with `accelerate launch -m genhub.train <recipe>`, when present), evaluates on the test split, and
writes the checkpoint folder (config, safetensors, model card with the measured figures) atomically.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from .recipes import RECIPES


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m genhub.train", description=__doc__.splitlines()[0])
    parser.add_argument("recipe", choices=sorted(RECIPES))
    parser.add_argument("--epochs", type=int, help="override the recipe's number of epochs")
    parser.add_argument("--output", help="checkpoint folder (default: checkpoints/<recipe>)")
    parser.add_argument("--dry-run", action="store_true", help="2 steps on a small batch, no checkpoint written")
    parser.add_argument(
        "--card-only", action="store_true", help="re-evaluate the saved checkpoint and rewrite its card"
    )
    parser.add_argument("--reuse-figures", action="store_true", help="with --card-only: keep the logged test figures")
    parser.add_argument("--batch-size", type=int, help="override the recipe's batch size (per process)")
    parser.add_argument("--learning-rate", type=float, help="override the recipe's learning rate")
    parser.add_argument("--seed", type=int, help="override the recipe's seed")
    parser.add_argument("--r1-weight", type=float, help="override the recipe's R1 penalty weight (the caption GAN's)")
    parser.add_argument(
        "--lr-decay-start",
        type=float,
        metavar="FRACTION",
        help="the caption GAN's learning rate falls linearly to 0 after this fraction of its GAN epochs (1: never)",
    )
    parser.add_argument(
        "--config",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a field of the model's config (JSON value), e.g. --config latent_dim=8",
    )
    parser.add_argument("--digest", action="store_true", help="each process prints a digest of its trained weights")
    parser.add_argument("--mixed-precision", choices=["no", "fp16", "bf16"], default="no", help="Accelerate's autocast")
    parser.add_argument(
        "--tracker",
        choices=["none", "tensorboard"],
        default="none",
        help="log the losses through Accelerate to runs/<recipe>/",
    )
    parser.add_argument(
        "--save-every",
        type=int,
        default=0,
        metavar="EPOCHS",
        help="save the resumable state (weights, optimiser, RNG) to runs/<recipe>/epoch_<n> every N epochs",
    )
    parser.add_argument(
        "--resume-from-checkpoint",
        type=Path,
        metavar="DIR",
        help="continue from a state saved by --save-every (every family but the walks and super-resolution)",
    )
    return parser


def main(argv: list[str] | None = None) -> Path | None:
    parser = build_parser()
    args = parser.parse_args(argv)
    from .run import run  # noqa: PLC0415 (torch and the loops load only once the arguments are good)

    return run(args, parser)


if __name__ == "__main__":
    main()
