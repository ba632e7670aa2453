"""Seconds until each tab's lesson is visible on this machine, as a person waits for it: `python app.py` started in
its own process as a Space starts it, its cold start beside importing torch, gradio and transformers'
PreTrainedModel alone; every tab's default action through gradio_client, alone and with a second request running
beside it (a healthy Fashion-MNIST playground run, the heaviest quick job); for each playground preset, the seconds
until its signature shows in the streamed figures; the 2-D playground's updates a second; the app's memory (RSS)
after one visit of every tab and after a second.

    python bench/bench_lessons.py [--repeats 2]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
ITEM = str(ROOT / "assets" / "examples" / "item.png")
PORT = 7868

SR = dict(image=None, example="photo: camera", scale=2, method="internal", model="photo-sr-x2", steps=200)
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
    "Super-resolution (camera x2, from photo-sr-x2, 200 steps)": ("/super_resolve", SR),
    "Compare": ("/compare", dict(class_name="Sneaker", seed=0)),
    "Inpaint (centre square, VAE and GAN, 200 steps)": (
        "/inpaint",
        dict(editor="item.png", preset="centre square", prior="both", steps=200, seed=0),
    ),
    "GAN diagnostics": ("/gan_diagnostics", dict(model="fashion-dcgan")),
}
PLAYGROUND = dict(
    margin=20.0, beta=1.0, cost_steps=1, batch_size=128, latent_dim=32, classes=["Trouser", "Sneaker", "Bag"], seed=0
)
HEALTHY = dict(family="nonsaturating", lr_generator=1e-3, lr_cost=1e-3, max_steps=3000, **PLAYGROUND)
FIGURES = re.compile(
    r"step \*\*(\d+)\*\*.*KL to uniform \*\*([\d.]+)\*\*.*reaching G \*\*([\d.e+-]+|nan)\*\* \(at step 1: "
    r"([\d.e+-]+|nan)\).*last 20 steps \*\*([\d.]+|nan)\*\*"
)
# preset: (family, lr_generator, lr_cost, cost_steps, Adam's beta1, steps, signature on
# (step, KL, gradient norm now, at step 1, std of L_G, the healthy run's std of L_G)); the same signatures as
# tests/train/test_live.py's, read off the figures the tab streams
PRESETS = {
    "healthy": ("nonsaturating", 1e-3, 1e-3, 1, 0.5, 600, lambda s, kl, g, g0, sd, h: kl < 0.6 and s >= 50),
    "vanishing gradients": ("minimax", 1e-3, 1e-3, 5, 0.5, 300, lambda s, kl, g, g0, sd, h: s >= 20 and g < 0.01 * g0),
    "mode collapse": ("nonsaturating", 5e-3, 1e-4, 1, 0.5, 300, lambda s, kl, g, g0, sd, h: kl > 3),
    "unstable convergence": (
        "nonsaturating",
        1e-3,
        1e-3,
        1,
        0.9,
        400,
        lambda s, kl, g, g0, sd, h: s >= 50 and sd > 3 * h,
    ),
}


def timed(call) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(status.split("VmRSS:")[1].split()[0]) / 1024


def start_app() -> tuple[subprocess.Popen, float, float]:
    """`python app.py` in its own process: (process, seconds until it answers, seconds to import torch, gradio and
    PreTrainedModel alone, measured just before)."""
    imports = "import torch, gradio; from transformers import PreTrainedModel"
    baseline = timed(lambda: subprocess.run([sys.executable, "-c", imports], check=True))
    env = {**os.environ, "GRADIO_SERVER_PORT": str(PORT)}
    start = time.perf_counter()
    app = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{PORT}/config", timeout=1)
            return app, time.perf_counter() - start, baseline
        except OSError:
            if app.poll() is not None:
                raise SystemExit("app.py exited before it answered") from None
            time.sleep(0.05)


def until_signature(client, family, lr_g, lr_c, cost_steps, beta1, steps, signature, healthy_std=float("nan")):
    """(seconds from Train until the streamed figures first show the signature (inf if they never do), the std of
    L_G then)."""
    start = time.perf_counter()
    job = client.submit(
        family=family,
        lr_generator=lr_g,
        lr_cost=lr_c,
        max_steps=steps,
        beta1=beta1,
        **{**PLAYGROUND, "cost_steps": cost_steps},
        api_name="/playground",
    )
    while not job.done():
        for _, _, figures, _ in job.outputs():
            match = FIGURES.search(figures or "")
            if match and signature(int(match[1]), *map(float, match.groups()[1:]), healthy_std):
                job.cancel()
                return time.perf_counter() - start, float(match[5])
        time.sleep(0.2)
    return float("inf"), float("nan")


def tab_table(client, other, repeats: int) -> None:
    from gradio_client import handle_file  # noqa: PLC0415

    print("| tab: default action | alone (s, median) | beside a playground run (s, median) |\n|---|---|---|")
    editor = {"background": handle_file(ITEM), "layers": [], "composite": handle_file(ITEM), "id": None}
    for tab, (api, kwargs) in DEFAULTS.items():
        kwargs = {k: editor if v == "item.png" else v for k, v in kwargs.items()}
        client.predict(**kwargs, api_name=api)  # warm: the models load on first use
        alone = statistics.median(timed(lambda: client.predict(**kwargs, api_name=api)) for _ in range(repeats))
        busy = []
        for _ in range(repeats):
            load = other.submit(**HEALTHY, api_name="/playground")
            time.sleep(1.0)
            busy.append(timed(lambda: client.predict(**kwargs, api_name=api)))
            load.cancel()
        print(f"| {tab} | {alone:.2f} | {statistics.median(busy):.2f} |", flush=True)


def preset_table(client, other) -> None:
    print(
        "\n| playground preset | seconds until its signature shows, alone | beside a second run |\n|---|---|---|",
        flush=True,
    )
    healthy_std = float("nan")
    for name, spec in PRESETS.items():
        alone, std = until_signature(client, *spec, healthy_std=healthy_std)
        healthy_std = std if name == "healthy" else healthy_std
        load = other.submit(**HEALTHY, api_name="/playground")
        time.sleep(1.0)
        beside, _ = until_signature(client, *spec, healthy_std=healthy_std)
        load.cancel()
        print(f"| {name} | {alone:.1f} | {beside:.1f} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    from gradio_client import Client  # noqa: PLC0415

    app, cold, baseline = start_app()
    try:
        url = f"http://127.0.0.1:{PORT}/"
        client, other = Client(url, verbose=False), Client(url, verbose=False)
        print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; `python app.py` at {url}\n")
        print(
            f"Cold start: `python app.py` answered after {cold:.1f} s; importing torch, gradio and transformers' "
            f"PreTrainedModel alone took {baseline:.1f} s just before (genhub's own start: {cold - baseline:.1f} s). "
            f"Memory after start: {rss_mb(app.pid):.0f} MB.\n",
            flush=True,
        )
        tab_table(client, other, args.repeats)
        preset_table(client, other)
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
        first = rss_mb(app.pid)
        for api, kwargs in DEFAULTS.values():  # a second visit of every tab
            if api != "/inpaint":
                client.predict(**kwargs, api_name=api)
        print(
            f"\nMemory of the app's process (RSS) after every tab above: {first:.0f} MB; after a second visit of the "
            f"tabs: {rss_mb(app.pid):.0f} MB"
        )
    finally:
        app.terminate()


if __name__ == "__main__":
    main()
