"""Inpainting on the Fashion-MNIST test set: VAE prior, GAN prior, OpenCV Telea and Navier-Stokes, mean fill.

For each mask (centre 14x14, left half, 4 random 8x8 blocks): PSNR and SSIM inside the hole (SSIM over the
hole's bounding box), the evaluation classifier's accuracy on the filled images, and seconds per image.
One table, one run.

    python bench/bench_inpainting.py [--images 200] [--steps 100]
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
from genhub.metrics import masked_psnr, ssim  # noqa: E402
from genhub.operations.inpainting import (  # noqa: E402
    inpaint,
    inpaint_baseline,
    preset_mask,  # noqa: E402
)


def masks(kind: str, n: int) -> torch.Tensor:
    return preset_mask({"centre 14x14": "centre square"}.get(kind, kind), n, torch.Generator().manual_seed(0))


def hole_figures(filled, x, mask):
    psnr = masked_psnr(filled, x, mask)
    rows, cols = mask[:, 0].any(2), mask[:, 0].any(1)  # bounding box of the hole
    boxes = []
    for i in range(len(x)):
        r, c = rows[i].nonzero()[:, 0], cols[i].nonzero()[:, 0]
        r0, r1, c0, c1 = int(r.min()), int(r.max()) + 1, int(c.min()), int(c.max()) + 1
        r0, c0 = min(r0, 21), min(c0, 21)  # at least 7x7 for SSIM's window
        r1, c1 = max(r1, r0 + 7), max(c1, c0 + 7)
        boxes.append(float(ssim(filled[i : i + 1, :, r0:r1, c0:c1], x[i : i + 1, :, r0:r1, c0:c1])[0]))
    return float(psnr.mean()), sum(boxes) / len(boxes)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=200)
    parser.add_argument("--steps", type=int, default=100)
    args = parser.parse_args()
    images, labels = data.load_fashion_mnist("test")
    x, y = data.as_float_images(images[: args.images]), labels[: args.images]
    classifier = genhub.load_model("fashion-classifier")
    priors = {
        "VAE prior (fashion-vae)": genhub.load_model("fashion-vae"),
        "GAN prior (fashion-ebgan)": genhub.load_model("fashion-ebgan"),
    }
    print(
        f"{args.images} test images, {args.steps} steps x 4 restarts for the priors; torch {torch.__version__}, "
        f"{torch.get_num_threads()} threads\n"
    )
    print(
        "| mask | method | PSNR hole (dB) | SSIM hole box | classifier accuracy | s / image |\n|---|---|---|---|---|---|"
    )
    for kind in ("centre 14x14", "left half", "random blocks"):
        mask = masks(kind, len(x))
        methods = {
            name: (
                lambda m=m: inpaint(m, x, mask, steps=args.steps, generator=torch.Generator().manual_seed(0))["images"]
            )
            for name, m in priors.items()
        }
        methods |= {f"OpenCV {b}": (lambda b=b: inpaint_baseline(x, mask, b)) for b in ("telea", "navier_stokes")}
        methods["mean fill"] = lambda: inpaint_baseline(x, mask, "mean")
        for name, run in methods.items():
            start = time.perf_counter()
            filled = run()
            seconds = (time.perf_counter() - start) / len(x)
            psnr, box_ssim = hole_figures(filled, x, mask)
            accuracy = float((classifier.predict(filled) == y).float().mean())
            print(f"| {kind} | {name} | {psnr:.2f} | {box_ssim:.3f} | {accuracy:.3f} | {seconds:.4f} |", flush=True)
    print(f"| (no hole) | original images | — | — | {float((classifier.predict(x) == y).float().mean()):.3f} | — |")


if __name__ == "__main__":
    main()
