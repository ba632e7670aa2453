"""Training throughput on 1 and 2 processes (torchrun, Accelerate's MULTI_CPU over gloo) beside a plain PyTorch
loop, and the start-up cost: `import genhub` and `python -m genhub.train --help`. Prints markdown tables;
medians of repeated runs.

    python bench/bench_scaling.py [--images 10240] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RECIPES = ("fashion-ae-under", "fashion-vae", "fashion-dcgan")


def worker(images: int, repeats: int) -> None:
    """Under torchrun: images/s of genhub's loop over `images` train images (all ranks together), rank 0 prints."""
    sys.path.insert(0, str(ROOT))
    from dataclasses import replace

    import torch
    from accelerate import Accelerator

    from genhub import data
    from genhub.train import RECIPES as ALL
    from genhub.train import build_model
    from genhub.train.loop import train_gan, train_model

    accelerator = Accelerator()
    x, y = data.load_fashion_mnist("train")
    share = images // accelerator.num_processes
    x = data.as_float_images(x[:images])[accelerator.process_index * share :][:share]
    y = y[:images][accelerator.process_index * share :][:share]
    for name in RECIPES:
        recipe = replace(ALL[name], epochs=1)
        times = []
        for _ in range(repeats):
            torch.manual_seed(0)
            model = build_model(recipe)
            accelerator.wait_for_everyone()
            start = time.perf_counter()
            if recipe.family == "gan":
                train_gan(model, x, y, recipe, accelerator)
            else:
                train_model(model, x, recipe, accelerator, labels=y)
            accelerator.wait_for_everyone()
            times.append(time.perf_counter() - start)
        if accelerator.is_main_process:
            print(f"RESULT {name} {accelerator.num_processes} {images / statistics.median(times):.1f}", flush=True)


def plain(images: int, repeats: int) -> dict[str, float]:
    """The same models and batches in a bare loop: Adam, the model's own loss (GAN: the two updates)."""
    sys.path.insert(0, str(ROOT))
    from dataclasses import replace

    import torch

    from genhub import data
    from genhub.train import RECIPES as ALL
    from genhub.train import build_model

    x = data.as_float_images(data.load_fashion_mnist("train")[0][:images])
    y = data.load_fashion_mnist("train")[1][:images]
    out = {}
    for name in RECIPES:
        recipe = replace(ALL[name], epochs=1)
        times = []
        for _ in range(repeats):
            torch.manual_seed(0)
            model = build_model(recipe).train()
            order = torch.randperm(len(x), generator=torch.Generator().manual_seed(0))
            start = time.perf_counter()
            if recipe.family == "gan":
                opt_c = torch.optim.Adam(model.cost.parameters(), lr=recipe.learning_rate, betas=recipe.betas)
                opt_g = torch.optim.Adam(model.generator.parameters(), lr=recipe.learning_rate, betas=recipe.betas)
                for i in range(0, len(x) - recipe.batch_size + 1, recipe.batch_size):
                    index = order[i : i + recipe.batch_size]
                    fake = model(torch.randn(len(index), model.config.latent_dim), y[index])
                    cost = model.cost_loss(x[index], fake, y[index], y[index]).loss
                    opt_c.zero_grad()
                    cost.backward()
                    opt_c.step()
                    gen = model.generator_loss(fake, y[index]).loss
                    opt_g.zero_grad()
                    gen.backward()
                    opt_g.step()
            else:
                opt = torch.optim.Adam(model.parameters(), lr=recipe.learning_rate, betas=recipe.betas)
                for i in range(0, len(x) - recipe.batch_size + 1, recipe.batch_size):
                    loss = model(x[order[i : i + recipe.batch_size]]).loss
                    opt.zero_grad()
                    loss.backward()
                    opt.step()
            times.append(time.perf_counter() - start)
        out[name] = images / statistics.median(times)
    return out


def distributed(processes: int, images: int, repeats: int) -> dict[str, float]:
    torchrun = shutil.which("torchrun") or str(Path(sys.executable).with_name("torchrun"))
    env = {
        **os.environ,
        "ACCELERATE_USE_CPU": "true",
        "OMP_NUM_THREADS": str(max(1, (os.cpu_count() or 2) // processes)),
    }
    command = [
        torchrun,
        "--nproc_per_node",
        str(processes),
        __file__,
        "--worker",
        "--images",
        str(images),
        "--repeats",
        str(repeats),
    ]
    out = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
    return {name: float(rate) for name, _, rate in re.findall(r"RESULT (\S+) (\d) (\S+)", out)}


def seconds(command: list[str], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(command, cwd=ROOT, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=10240)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args.images, args.repeats)
    bare = plain(args.images, args.repeats)
    one, two = distributed(1, args.images, args.repeats), distributed(2, args.images, args.repeats)
    print(
        f"\n### Training throughput, images/s ({args.images} Fashion-MNIST images, median of {args.repeats}, "
        f"{os.cpu_count()} CPU cores)\n"
    )
    print("| recipe | plain PyTorch loop | genhub, 1 process | ratio to plain | genhub, 2 processes (gloo) | 2 vs 1 |")
    print("|---|---|---|---|---|---|")
    for name in RECIPES:
        print(
            f"| {name} | {bare[name]:,.0f} | {one[name]:,.0f} | {one[name] / bare[name]:.2f} | {two[name]:,.0f} | "
            f"{two[name] / one[name]:.2f} |"
        )
    print("\n### Start-up (seconds, median)\n")
    print("| command | seconds |\n|---|---|")
    print(f"| python -c 'import genhub' | {seconds([sys.executable, '-c', 'import genhub'], args.repeats):.2f} |")
    help_seconds = seconds([sys.executable, "-m", "genhub.train", "--help"], args.repeats)
    print(f"| python -m genhub.train --help | {help_seconds:.2f} |")


if __name__ == "__main__":
    main()
