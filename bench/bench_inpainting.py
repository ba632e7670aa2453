"""Inpainting on the Fashion-MNIST test set: VAE, GAN and diffusion (RePaint) priors, OpenCV Telea and Navier-Stokes,
mean fill.

For each mask (centre 14x14, left half, 4 random 8x8 blocks, 2 random brush strokes): PSNR and SSIM inside the hole (SSIM
over the hole's bounding box), accuracy on the filled images of the evaluation classifier and of an independent one
(5-nearest neighbours on the pixels of the 60,000 training images: it shares nothing with genhub's models and,
reading pixels, notices a fill that changes the item), and seconds per image. One table, one run.

    python bench/bench_inpainting.py [--images 200] [--steps 100] [--restarts 4] [--masks "centre 14x14,left half"]
        [--guide none] [--guide-weight 0] [--device cuda]

The priors' search starts from samples of the class that --guide (a classifier of partly hidden items) names for
the known pixels; --guide none starts from the nearest samples of any class. With a guide, a GAN's best candidate is
then refined with the guide's reading of the completed image (--guide-weight 0: not).
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


def prior_kind(name: str) -> str:
    return "diffusion (RePaint)" if "diffusion" in name else "GAN" if "gan" in name else "VAE"


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
    parser.add_argument("--restarts", type=int, default=4)
    parser.add_argument("--device", default="cpu", help="where the priors' search runs (the guide with them)")
    parser.add_argument("--masks", default="centre 14x14,left half,random blocks,strokes")
    parser.add_argument("--priors", default="fashion-vae,fashion-vae-2stage,fashion-ebgan")
    parser.add_argument("--guide", default="fashion-classifier-partial", help="class guide checkpoint, or none")
    parser.add_argument(
        "--guide-weight", type=float, default=None, help="the guide's refinement (default: the prior's)"
    )
    args = parser.parse_args()
    guide = None if args.guide == "none" else genhub.load_model(args.guide).to(args.device)
    images, labels = data.load_fashion_mnist("test")
    x, y = data.as_float_images(images[: args.images]), labels[: args.images]
    classifier = genhub.load_model("fashion-classifier")
    tag = ", guided" if guide else ""
    weight = "the prior's default" if args.guide_weight is None else args.guide_weight
    priors = {
        f"{prior_kind(name)} prior ({name}{tag})": genhub.load_model(name).to(args.device)
        for name in args.priors.split(",")
    }
    from sklearn.neighbors import KNeighborsClassifier  # noqa: PLC0415

    train_x, train_y = data.load_fashion_mnist("train")
    knn = KNeighborsClassifier(5).fit(data.as_float_images(train_x).flatten(1).numpy(), train_y.numpy())

    def accuracies(images):
        ours = float((classifier.predict(images) == y).float().mean())
        pixels = float((torch.from_numpy(knn.predict(images.flatten(1).numpy())) == y).float().mean())
        return f"{ours:.3f} | {pixels:.3f}"

    print(
        f"{args.images} test images, {args.steps} steps x {args.restarts} restarts for the priors, class guide "
        f"{args.guide} (guide weight {weight}); torch {torch.__version__}, {torch.get_num_threads()} threads, priors "
        f"on {args.device}\n"
    )
    print(
        "| mask | method | PSNR hole (dB) | SSIM hole box | accuracy (genhub classifier) | accuracy (independent "
        "k-NN) | s / image |\n|---|---|---|---|---|---|---|"
    )

    def prior_fill(model, mask):  # 1,000 images at a time (memory); each image's search is independent
        fills = []
        for i in range(0, len(x), 1000):
            chunk, holes = x[i : i + 1000].to(args.device), mask[i : i + 1000].to(args.device)
            out = inpaint(
                model, chunk, holes, args.steps, args.restarts, class_guide=guide, guide_weight=args.guide_weight
            )
            fills.append(out.images.cpu())
        return torch.cat(fills)

    for kind in args.masks.split(","):
        mask = masks(kind, len(x))
        methods = {name: (lambda m=m: prior_fill(m, mask)) for name, m in priors.items()}
        methods |= {f"OpenCV {b}": (lambda b=b: inpaint_baseline(x, mask, b)) for b in ("telea", "navier_stokes")}
        methods["mean fill"] = lambda: inpaint_baseline(x, mask, "mean")
        for name, run in methods.items():
            start = time.perf_counter()
            filled = run()
            seconds = (time.perf_counter() - start) / len(x)
            psnr, box_ssim = hole_figures(filled, x, mask)
            print(
                f"| {kind} | {name} | {psnr:.2f} | {box_ssim:.3f} | {accuracies(filled)} | {seconds:.4f} |", flush=True
            )
    print(f"| (no hole) | original images | — | — | {accuracies(x)} | — |")


if __name__ == "__main__":
    main()
