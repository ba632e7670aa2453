"""Steerability of the learned walks (Jahanian 2019) for every edit and several alphas: the masked L2 of the
walk relative to no walk, the target vs achieved transformation measured on the images, and whether the
class is kept (evaluation classifier accuracy along the walk).

    python bench/bench_steering.py [--images 500]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import genhub  # noqa: E402
from genhub.metrics import evaluate_walks  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=500)
    args = parser.parse_args()
    classifier = genhub.load_model("fashion-classifier")
    for gan in ("fashion-ebgan", "fashion-dcgan"):
        figures = evaluate_walks(genhub.load_model(gan), genhub.load_model(f"{gan}-walks"), classifier, args.images)
        print(f"\n### `{gan}` with `{gan}-walks` ({args.images} images per row)\n")
        print("| edit @ alpha | relative L2 (walk / no walk) | measure | target | achieved | class accuracy |")
        print("|---|---|---|---|---|---|")
        for key, f in figures.items():
            print(
                f"| {key} | {f['relative_l2']:.3f} | {f['measure']} | {f['target']:.3g} | {f['achieved']:.3g} | "
                f"{f['class_accuracy']:.3f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
