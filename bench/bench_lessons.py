"""Seconds until each tab's lesson is visible on this machine, as a person waits for it: every tab's default action
through gradio_client against the app started for real, alone and with a second request running beside it (a
healthy Fashion-MNIST playground run, the heaviest quick job); for the playground presets, the seconds until their
signature shows in the streamed figures; the 2-D playground's updates a second.

    python bench/bench_lessons.py [--repeats 2]
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SR = dict(image=None, example="photo: camera", scale=2, method="internal", model="fashion-sr-x2", steps=500)
DEFAULTS = {  # tab: (api name, the tab's default arguments)
    "Sample (GAN)": ("/sample", dict(model="fashion-dcgan", class_name="any", truncation=1.0, seed=0, num_images=16)),
    "Sample (diffusion, 20 steps)": (
        "/sample",
        dict(
            model="fashion-diffusion",
            class_name="any",
            truncation=1.0,
            seed=0,
            num_images=16,
            steps=20,
            sampler="ddpm",
            guidance=1.5,
        ),
    ),
    "Denoising trajectory": (
        "/denoise",
        dict(model="fashion-diffusion", class_name="any", seed=0, steps=20, sampler="ddpm", guidance=1.5),
    ),
    "Steer": (
        "/steer_walk",
        dict(model="fashion-dcgan", class_name="Sneaker", seed=0, edit="shift_x", alpha=6.0, frames=9),
    ),
    "Autoencoders": (
        "/reconstruct",
        dict(model="fashion-dae", example=0, image=None, noise_type="gaussian", noise_level=0.5, seed=0),
    ),
    "VAE": ("/vae_sample", dict(model="fashion-vae-2stage", num_images=16, seed=0)),
    "Caption": ("/caption", dict(model="fashion-text-gan", caption="a red dress", num_images=8, seed=0)),
    "Super-resolution (camera x2, 500 steps)": ("/super_resolve", SR),
    "Compare": ("/compare", dict(class_name="Sneaker", seed=0)),
}
PLAYGROUND = dict(
    margin=20.0, beta=1.0, cost_steps=1, batch_size=128, latent_dim=32, classes=["Trouser", "Sneaker", "Bag"], seed=0
)
PRESETS = {  # preset: (family, lr_generator, lr_cost, cost_steps, max_steps, signature on the streamed figures)
    "healthy": ("nonsaturating", 1e-3, 1e-3, 1, 600, lambda kl, step: kl < 0.6 and step >= 50),
    "mode collapse": ("nonsaturating", 5e-3, 1e-4, 1, 300, lambda kl, step: kl > 3),
}


def timed(call) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def until_signature(client, family, lr_g, lr_c, cost_steps, steps, signature) -> float:
    """Seconds from Train until the streamed figures first show the signature (inf if they never do)."""
    start = time.perf_counter()
    job = client.submit(
        family=family,
        lr_generator=lr_g,
        lr_cost=lr_c,
        max_steps=steps,
        **{**PLAYGROUND, "cost_steps": cost_steps},
        api_name="/playground",
    )
    while not job.done():
        for _, _, figures, _ in job.outputs():
            match = re.search(r"step \*\*(\d+)\*\*.*KL to uniform \*\*([\d.]+)\*\*", figures or "")
            if match and signature(float(match[2]), int(match[1])):
                job.cancel()
                return time.perf_counter() - start
        time.sleep(0.2)
    return float("inf")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    from gradio_client import Client  # noqa: PLC0415

    import app  # noqa: PLC0415

    _, url, _ = app.demo.launch(server_name="127.0.0.1", prevent_thread_lock=True, quiet=True, ssr_mode=False)
    client, other = Client(url, verbose=False), Client(url, verbose=False)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; the app at {url}\n")
    print("| tab: default action | alone (s, median) | beside a playground run (s, median) |\n|---|---|---|")
    for tab, (api, kwargs) in DEFAULTS.items():
        client.predict(**kwargs, api_name=api)  # warm: the models load on first use
        alone = statistics.median(timed(lambda: client.predict(**kwargs, api_name=api)) for _ in range(args.repeats))
        busy = []
        for _ in range(args.repeats):
            load = other.submit(
                family="nonsaturating",
                lr_generator=1e-3,
                lr_cost=1e-3,
                max_steps=3000,
                **PLAYGROUND,
                api_name="/playground",
            )
            time.sleep(1.0)
            busy.append(timed(lambda: client.predict(**kwargs, api_name=api)))
            load.cancel()
        print(f"| {tab} | {alone:.2f} | {statistics.median(busy):.2f} |", flush=True)
    print("\n| playground preset | seconds until its signature shows, alone | beside a second run |\n|---|---|---|")
    for name, spec in PRESETS.items():
        alone = until_signature(client, *spec)
        load = other.submit(
            family="nonsaturating",
            lr_generator=1e-3,
            lr_cost=1e-3,
            max_steps=3000,
            **PLAYGROUND,
            api_name="/playground",
        )
        time.sleep(1.0)
        beside = until_signature(client, *spec)
        load.cancel()
        print(f"| {name} | {alone:.1f} | {beside:.1f} |", flush=True)
    _, figures, _ = client.predict(
        dataset="ring",
        drawing=None,
        objective="nonsaturating",
        lr_generator=1e-3,
        lr_discriminator=1e-3,
        discriminator_steps=1,
        beta1=0.5,
        max_steps=3000,
        seed=0,
        api_name="/playground_2d",
    )
    rate = re.search(r"(\d+) updates a second", figures)[1]
    print(
        f"\n2-D playground (ring, healthy, 3,000 steps, drawing each second included): {rate} updates a second; "
        f"{figures}"
    )
    rss = next(line for line in Path("/proc/self/status").read_text().splitlines() if line.startswith("VmRSS:"))
    print(f"\nMemory of the app's process after every tab above (and its client): {int(rss.split()[1]) / 1024:.0f} MB")
    app.demo.close()


if __name__ == "__main__":
    main()
