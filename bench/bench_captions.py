"""Caption to image on seen phrasings, held-out phrasings and held-out colour x class pairs: class accuracy,
colour accuracy from the pixels, per-class classifier-FID, R-precision; and generation latency.

    python bench/bench_captions.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import genhub  # noqa: E402
from genhub import data  # noqa: E402
from genhub.metrics import evaluate_text_gan  # noqa: E402
from genhub.train import text_gan_eval_sets  # noqa: E402


def main():
    model, classifier = genhub.load_model("fashion-text-gan"), genhub.load_model("fashion-classifier")
    images, labels = data.load_fashion_mnist("test")
    real = {c: data.stretch(data.as_float_images(images[labels == c])) for c in range(10)}
    figures = evaluate_text_gan(
        model, classifier, text_gan_eval_sets("test"), torch.tensor(list(data.PALETTE.values())), real
    )
    print("| set | captions | class accuracy | colour accuracy | per-class FID (real floor) | R-precision |")
    print("|---|---|---|---|---|---|")
    for name, f in figures.items():
        print(
            f"| {name} | {f['captions']} | {f['class_accuracy']:.3f} | {f['colour_accuracy']:.3f} | "
            f"{f['per_class_fid']:.1f} ({f['per_class_fid_floor']:.1f}) | {f['r_precision']:.3f} |"
        )
    print("\n| images | ms per call (median of 20) |\n|---|---|")
    for n in (1, 16, 64):
        times = []
        for _ in range(20):
            start = time.perf_counter()
            model.generate(["a red dress"], num_images_per_caption=n, generator=torch.Generator().manual_seed(0))
            times.append(time.perf_counter() - start)
        print(f"| {n} | {statistics.median(times) * 1e3:.2f} |")


if __name__ == "__main__":
    main()
