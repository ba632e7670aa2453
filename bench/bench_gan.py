"""GAN quality and speed: EBGAN (the lecture's) against the non-saturating baseline with the same generator.

Quality on 10,000 samples (1,000 per class) against the 10,000 test images in the evaluation classifier's
feature space, beside the real-vs-real floor (10,000 train images); sampling latency for 1, 16 and 64
images, model time and through gradio_client. Prints markdown tables.

    python bench/bench_gan.py [--samples 10000] [--repeats 20]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import genhub  # noqa: E402
from genhub import data  # noqa: E402
from genhub.metrics import evaluate_gan  # noqa: E402

GANS = ("fashion-ebgan", "fashion-dcgan")
COLUMNS = ("fid", "conditional_accuracy", "mode_kl", "precision", "recall")
FLOORS = {
    "fid": "fid_floor",
    "conditional_accuracy": "conditional_accuracy_floor",
    "precision": "precision_floor",
    "recall": "recall_floor",
}


def median_ms(fn, repeats: int) -> float:
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def quality(num_samples: int) -> None:
    (train_x, _), (test_x, test_y) = data.load_fashion_mnist("train"), data.load_fashion_mnist("test")
    train_images, test_images = data.as_float_images(train_x[:10000]), data.as_float_images(test_x)
    classifier = genhub.load_model("fashion-classifier")
    print(f"\n### Sample quality ({num_samples} samples vs the 10,000 test images; classifier features)\n")
    print("| model | " + " | ".join(COLUMNS) + " |\n|---" * 1 + "|---" * len(COLUMNS) + "|")
    floor = None
    for name in GANS:
        figures = evaluate_gan(genhub.load_model(name), classifier, test_images, test_y, train_images, num_samples)
        floor = figures
        print(f"| {name} | " + " | ".join(f"{figures[c]:.4g}" for c in COLUMNS) + " |")
    cells = [f"{floor[FLOORS[c]]:.4g}" if c in FLOORS else "0" for c in COLUMNS]
    print("| real vs real (floor) | " + " | ".join(cells) + " |")


def speed(repeats: int) -> None:
    from gradio_client import Client

    import app

    _, url, _ = app.demo.launch(server_name="127.0.0.1", prevent_thread_lock=True, quiet=True, ssr_mode=False)
    client = Client(url, verbose=False)
    print(f"\n### Sampling latency (ms, median of {repeats})\n")
    print("| model | images | model.generate | gradio_client /sample (PNG grid back) |\n|---|---|---|---|")
    for name in GANS:
        model = genhub.load_model(name)
        for n in (1, 16, 64):
            bare = median_ms(lambda: model.generate(n, generator=torch.Generator().manual_seed(0)), repeats)
            api = median_ms(
                lambda: client.predict(
                    model=name, class_name="any", truncation=1.0, seed=0, num_images=n, api_name="/sample"
                ),
                max(3, repeats // 4),
            )
            print(f"| {name} | {n} | {bare:.2f} | {api:.1f} |")
    app.demo.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=10000)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    quality(args.samples)
    speed(args.repeats)
