"""The Space's Compare tab: the generative trilemma (quality, coverage, speed) seen and measured side by side."""

from __future__ import annotations

import math

import gradio as gr

from genhub.operations import compare_families
from genhub.operations.compare import DIFFUSION_STEPS, stored_figures

from ..common import (
    CLASSES,
    DIFFUSIONS,
    GANS,
    VAES,
    CheckedNumber,
    checked_class,
    get_model,
    handler,
    on_run,
    recipe,
    resolve_seed,
    show,
)

LESSON = """### The generative trilemma: quality, coverage, speed
Each family the lecture met pays somewhere (Xiao, Kreis & Vahdat 2022). A **VAE** samples in one pass and covers
the data (its ELBO punishes missing any item) but blurs; a **GAN** samples in one pass and is sharp, yet may drop
modes (lower recall); a **diffusion model** is sharp and covers the data, but every image costs many network
passes. Below: the same class and seed through each, one row per model (diffusion at several step counts), and the
figures the bench measured (`bench/bench_diffusion.py`; `bench/results/diffusion.md` says on how many samples) beside
this call's own timing.

**What to look at:** FID (lower: closer to the test set), precision (share of samples that look real: quality),
recall (share of real items the samples reach: coverage), and the milliseconds an image costs on this CPU. The
plain VAE samples its prior, so it ignores the class."""
COLUMNS = (  # (stored figure, header)
    ("fid", "FID ↓"),
    ("precision", "precision ↑"),
    ("recall", "recall ↑"),
    ("conditional_accuracy", "class accuracy ↑"),
    ("ms_per_image", "ms / image (bench)"),
)
ROW_MODELS = [*VAES[:1], *GANS, *DIFFUSIONS[:1]]  # the best VAE, both GANs, the diffusion model


def _cell(value) -> str:
    return "—" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.3g}"


@handler
def compare_endpoint(class_name: str, seed: int):
    """The same class and seed through the VAE, the GANs and the diffusion model (10, 20 and 50 steps): one row of
    8 images each, and a table of each row's measured quality, coverage and speed.

    Args:
        class_name: a Fashion-MNIST class, or "any" for random classes (the same for every row).
        seed: seed of every row's noise (-1: random, the seed used is returned).
    """
    label, used_seed = checked_class(class_name), resolve_seed(seed)
    out = compare_families({name: get_model(name) for name in ROW_MODELS}, label, used_seed, 8)
    stored = stored_figures()
    head = "| row | " + " | ".join(h for _, h in COLUMNS) + " | ms / image (this call) | parameters |"
    lines = [head, "|---" * (len(COLUMNS) + 3) + "|"]
    for i, row in enumerate(out.rows):
        figures = stored.get(row, {})
        cells = " | ".join(_cell(figures.get(key)) for key, _ in COLUMNS)
        note = "" if out.conditional[i] else " (any class)"
        lines.append(f"| {i + 1}. {row}{note} | {cells} | {out.milliseconds[i]:.1f} | {out.parameters[i]:,} |")
    code = (
        "import genhub\nfrom genhub.operations import compare_families\n"
        f"models = {{name: genhub.load_model(name) for name in {ROW_MODELS!r}}}\n"
        f"out = compare_families(models, class_label={label!r}, seed={used_seed}, num_images=8, "
        f"diffusion_steps={DIFFUSION_STEPS!r})  # out.images: one row of 8 per out.rows"
    )
    info = f"Seed used: **{used_seed}** · class: {class_name} · rows top to bottom as in the table\n\n" + "\n".join(
        lines
    )
    params = dict(class_name=class_name, seed=used_seed)
    return show(out.images, ncols=8, scale=4), info, recipe("/compare", "", params, code)


def create_tab():
    with gr.Tab("Compare"):
        gr.Markdown(LESSON)
        with gr.Row():
            class_name = gr.Dropdown(["any", *CLASSES], value="Sneaker" if CLASSES else "any", label="class")
            seed = CheckedNumber(0, precision=0, label="seed (−1 = random)")
        go = gr.Button("Compare", variant="primary")
        grid = gr.Image(label="one row per model (top to bottom as in the table)", format="png", type="pil")
        table, how = gr.Markdown(), gr.Markdown()
        on_run(go.click, compare_endpoint, [class_name, seed], [grid, table, how], api_name="compare")
