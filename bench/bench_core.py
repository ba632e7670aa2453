"""Speed of the core: training throughput (genhub's Accelerate loop vs a plain PyTorch loop on the same
model), encode/decode latency of every shipped model, and the app's /reconstruct round trip through
gradio_client vs the bare call. Prints markdown tables; medians of repeated runs.

    python bench/bench_core.py [--repeats 5]
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
from genhub import data, train  # noqa: E402
from genhub.models import CHECKPOINTS_DIR  # noqa: E402
from genhub.operations import reconstruct  # noqa: E402


def median_seconds(fn, repeats: int, warmup: int = 1) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def plain_loop(model, images, recipe):
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(images), batch_size=recipe.batch_size, shuffle=True, drop_last=True
    )
    optimizer = torch.optim.Adam(model.parameters(), lr=recipe.learning_rate)
    model.train()
    for (x,) in loader:
        loss = model(x).loss
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()


def bench_training(repeats: int, n_images: int = 10240):
    from accelerate import Accelerator

    images = data.as_float_images(data.load_fashion_mnist("train")[0][:n_images])
    print(f"\n### Training throughput (images/s, {n_images} images = one epoch, batch 128, median of {repeats})\n")
    print("| recipe | genhub.train (Accelerate) | plain PyTorch loop | ratio |")
    print("|---|---|---|---|")
    for name in ("fashion-ae-under", "fashion-ae-over", "fashion-cae", "fashion-vae"):
        base = train.RECIPES[name]
        recipe = train.Recipe(base.family, base.description, base.config, epochs=1)
        ours = median_seconds(
            lambda: train.train_model(train.build_model(recipe), images, recipe, Accelerator(cpu=True)), repeats
        )
        plain = median_seconds(lambda: plain_loop(train.build_model(recipe), images, recipe), repeats)
        print(f"| {name} | {n_images / ours:,.0f} | {n_images / plain:,.0f} | {plain / ours:.2f} |")


@torch.no_grad()
def bench_latency(repeats: int):
    x64 = data.as_float_images(data.load_fashion_mnist("test")[0][:64])
    print(f"\n### Encode / decode latency (ms, median of {repeats})\n")
    print("| model | encode 1 | decode 1 | encode 64 | decode 64 |")
    print("|---|---|---|---|---|")
    for folder in sorted(CHECKPOINTS_DIR.glob("*/config.json")):
        model = genhub.load_model(folder.parent)
        if not hasattr(model, "encode"):
            continue
        first = lambda h: h[0] if isinstance(h, tuple) else h  # noqa: E731 (the VAE returns (mean, logvar))
        cells = []
        for x in (x64[:1], x64):
            code = first(model.encode(x))
            cells += [
                median_seconds(lambda: model.encode(x), repeats) * 1e3,
                median_seconds(lambda: model.decode(code), repeats) * 1e3,
            ]
        print(f"| {folder.parent.name} | {cells[0]:.3f} | {cells[1]:.3f} | {cells[2]:.3f} | {cells[3]:.3f} |")


def bench_app(repeats: int):
    from gradio_client import Client

    import app

    _, url, _ = app.demo.launch(server_name="127.0.0.1", prevent_thread_lock=True, quiet=True, ssr_mode=False)
    client = Client(url, verbose=False)
    model = genhub.load_model("fashion-dae")
    from space.common import EXAMPLES
    from space.tabs.autoencoders import reconstruct_endpoint

    x = EXAMPLES[5:6]
    args = dict(model="fashion-dae", example=5, image=None, noise_type="gaussian", noise_level=0.5, seed=0)
    bare = median_seconds(lambda: reconstruct(model, x, "gaussian", 0.5, torch.Generator().manual_seed(0)), repeats)
    handler = median_seconds(lambda: reconstruct_endpoint(**args), repeats)
    through = median_seconds(lambda: client.predict(**args, api_name="/reconstruct"), repeats)
    app.demo.close()
    print(f"\n### /reconstruct round trip (ms, median of {repeats})\n")
    print("| path | ms |\n|---|---|")
    print(f"| bare `reconstruct()` call | {bare * 1e3:.2f} |")
    print(f"| app handler (+ PNG-ready images, recipe) | {handler * 1e3:.2f} |")
    print(f"| gradio_client → app → PNG files back | {through * 1e3:.1f} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(max(1, torch.get_num_threads()))
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    bench_training(max(3, args.repeats // 2))
    bench_latency(args.repeats * 10)
    bench_app(args.repeats * 4)
