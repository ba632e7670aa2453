"""The playground's live loop: steps/s against a plain PyTorch loop of the same model and batches, the interval
between the updates the page sees, and the memory one run adds. Prints markdown tables; medians of repeats.

    python bench/bench_playground.py [--steps 200] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import genhub  # noqa: E402
from genhub.train.live import PRESETS, build_model, playground_data, seeded_init, train_live  # noqa: E402


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def plain_steps_per_second(settings, images, labels, steps: int) -> float:
    """The same GAN updates with no events, plots or classifier: the floor the live loop is compared with."""
    model = seeded_init(build_model(settings), torch.Generator().manual_seed(0)).train()
    data = images[torch.isin(labels, torch.tensor(settings.classes))]
    opt_c = torch.optim.Adam(model.cost.parameters(), lr=settings.lr_cost, betas=settings.betas)
    opt_g = torch.optim.Adam(model.generator.parameters(), lr=settings.lr_generator, betas=settings.betas)
    zeros, noise = torch.zeros(settings.batch_size, dtype=torch.long), torch.Generator().manual_seed(0)
    start = time.perf_counter()
    for _ in range(steps):
        x = data[torch.randint(len(data), (settings.batch_size,), generator=noise)].float() / 255
        for _ in range(settings.cost_steps):
            fake = model(torch.randn(settings.batch_size, settings.latent_dim, generator=noise), zeros)
            loss = model.cost_loss(x, fake, zeros, zeros).loss
            opt_c.zero_grad()
            loss.backward()
            opt_c.step()
        fake = model(torch.randn(settings.batch_size, settings.latent_dim, generator=noise), zeros)
        loss = model.generator_loss(fake, zeros).loss
        opt_g.zero_grad()
        loss.backward()
        opt_g.step()
    return steps / (time.perf_counter() - start)


def live_run(settings, images, labels, classifier) -> tuple[float, list[float]]:
    start, stamps, steps = time.perf_counter(), [], 0
    for event in train_live(settings, images, labels, classifier):
        stamps.append(time.perf_counter())
        steps = event.step
    return steps / (stamps[-1] - start), [b - a for a, b in zip(stamps, stamps[1:])]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    images, labels = playground_data()
    classifier = genhub.load_model("fashion-classifier")
    print(f"\n### Steps/s ({args.steps} steps, median of {args.repeats}; {torch.get_num_threads()} threads)\n")
    print("| preset | plain loop | live loop (events every 0.5 s) | ratio | update interval, median / max (s) |")
    print("|---|---|---|---|---|")
    for name in ("healthy", "vanishing gradients"):
        settings = replace(PRESETS[name][0], max_steps=args.steps, report_every=500, max_seconds=120)
        plain = statistics.median(
            plain_steps_per_second(settings, images, labels, args.steps) for _ in range(args.repeats)
        )
        runs = [live_run(settings, images, labels, classifier) for _ in range(args.repeats)]
        live = statistics.median(r[0] for r in runs)
        gaps = [g for r in runs for g in r[1]]
        print(
            f"| {name} | {plain:.1f} | {live:.1f} | {live / plain:.2f} | {statistics.median(gaps):.2f} / "
            f"{max(gaps):.2f} |",
            flush=True,
        )
    before = rss_mb()
    settings = replace(PRESETS["healthy"][0], max_steps=args.steps, report_every=500)
    peaks = []
    threads = [
        threading.Thread(target=lambda: peaks.append(live_run(settings, images, labels, classifier))) for _ in range(2)
    ]
    for t in threads:
        t.start()
    high = before
    while any(t.is_alive() for t in threads):
        high = max(high, rss_mb())
        time.sleep(0.05)
    print(
        f"\n### Memory\n\n| | MB |\n|---|---|\n| RSS before (data and classifier loaded) | {before:.0f} |\n"
        f"| extra RSS, peak, with 2 runs at once | {high - before:.0f} ({(high - before) / 2:.0f} per run) |\n"
        f"| extra RSS after both ended | {rss_mb() - before:.0f} |"
    )


if __name__ == "__main__":
    main()
