"""Super-resolution against bicubic: the learned models on the Fashion-MNIST test set (x2, x4, with and
without the adversarial term); on scikit-image's six example photos the photo model alone, the internal
(single-image) method started from it (the Space's default) and from scratch; PSNR, SSIM and seconds per image,
one table.

    python bench/bench_super_resolution.py [--steps 1500] [--side 256]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import genhub  # noqa: E402
from genhub import data  # noqa: E402
from genhub.images import EXAMPLE_PHOTOS, example_photo  # noqa: E402
from genhub.metrics import psnr, ssim  # noqa: E402
from genhub.models.super_resolution import bicubic  # noqa: E402
from genhub.operations.super_resolution import DEFAULT_STEPS, START_STEPS, super_resolve  # noqa: E402

PHOTOS = EXAMPLE_PHOTOS


def photo(name: str, side: int) -> torch.Tensor:
    return example_photo(name, side)


def row(data_name, scale, method, restored, base, truth, seconds):
    print(
        f"| {data_name} | x{scale} | {method} | {psnr(restored, truth).mean():.2f} | {ssim(restored, truth).mean():.4f} | "
        f"{psnr(base, truth).mean():.2f} | {ssim(base, truth).mean():.4f} | "
        f"{psnr(restored, truth).mean() - psnr(base, truth).mean():+.2f} | {seconds:.4f} |",
        flush=True,
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=DEFAULT_STEPS)
    parser.add_argument("--side", type=int, default=256)
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads\n")
    print(
        "| data | factor | method | PSNR | SSIM | PSNR bicubic | SSIM bicubic | gain (dB) | s / image |\n"
        "|---|---|---|---|---|---|---|---|---|"
    )
    truth = data.as_float_images(data.load_fashion_mnist("test")[0])
    for name in ("fashion-sr-x2", "fashion-sr-x2-gan", "fashion-sr-x4", "fashion-sr-x4-gan"):
        model = genhub.load_model(name)
        s = model.config.scale
        low = bicubic(truth, (28 // s, 28 // s))
        start = time.perf_counter()
        restored = super_resolve(low, s, "learned", model=model)
        seconds = (time.perf_counter() - start) / len(truth)
        row(
            "Fashion-MNIST test (10,000)",
            s,
            f"learned `{name}`",
            restored,
            super_resolve(low, s, "bicubic"),
            truth,
            seconds,
        )
    photo_model = genhub.load_model("photo-sr-x2")
    methods = {  # row label -> super_resolve's arguments
        "learned `photo-sr-x2` alone": dict(method="learned", model=photo_model),
        f"internal from `photo-sr-x2`, {START_STEPS} steps (the Space's default)": dict(
            method="internal", model=photo_model, steps=START_STEPS
        ),
        f"internal from scratch, {args.steps} steps": dict(method="internal", steps=args.steps),
    }
    for s in (2, 4):
        for name in PHOTOS:
            x = photo(name, args.side)
            low = bicubic(x, (args.side // s, args.side // s))
            for label, kwargs in methods.items():
                if s == 4 and kwargs["method"] == "learned":
                    continue  # photo-sr-x2 is a x2 model; x4 is two x2 stages of the internal method
                start = time.perf_counter()
                restored = super_resolve(low, s, **kwargs)
                seconds = time.perf_counter() - start
                row(f"skimage `{name}` {args.side}px", s, label, restored, super_resolve(low, s, "bicubic"), x, seconds)


if __name__ == "__main__":
    main()
