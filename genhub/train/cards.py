"""Model cards for trained checkpoints: figures tables, previews, the GAN diagnostics plot, the cards' text."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch

from ..hub import make_card
from ..images import figure_png, new_figure
from ..metrics import steerability
from ..models import (
    CHECKPOINTS_DIR,
    HUB_NAMESPACE,
)
from ..models.walks import EDITS, PROJECT_STEPS
from .card_text import CARD_TEXT, DATA_TEXT, HISTORY_UNIT, PARTIAL_VIEW_USE
from .loop import (
    DIAGNOSTIC_EVERY,
)
from .recipes import Recipe

DIAGNOSTIC_LABELS = {  # the logged keys as each objective names them
    "energy": {
        "cost_loss": "cost network's loss L_C",
        "generator_loss": "generator's loss L_G",
        "energy_real": "energy of real items C(x)",
        "energy_fake": "energy of samples C(G(z))",
    },
    "gan": {
        "cost_loss": "discriminator's loss L_D",
        "generator_loss": "generator's loss L_G",
        "energy_real": "-D(x) on real items (logit)",
        "energy_fake": "-D(G(z)) on samples (logit)",
    },
}


def diagnostics_plot(log: dict, title: str, objective: str = "energy", class_names=None) -> bytes:
    """The three pitfalls as a PNG: losses and energies (or discriminator logits), generator gradient norm, class
    histogram over training, and the loss oscillation (rolling std of L_G over 100 steps)."""
    import numpy as np

    def smooth(values, window=50):
        v = np.asarray(values, dtype=float)
        return np.convolve(v, np.ones(window) / window, mode="valid") if len(v) > window else v

    fig, axes = new_figure(2, 2, figsize=(11, 7), dpi=90)
    a = axes[0, 0]
    labels = DIAGNOSTIC_LABELS["energy" if objective == "energy" else "gan"]
    for key, label in labels.items():
        a.plot(smooth(log[key]), label=label, lw=1)
    kind = "energies" if objective == "energy" else "discriminator logits"
    a.set(title=f"losses and {kind} (moving mean of 50 steps)", xlabel="step")
    a.legend(fontsize=8)
    a = axes[0, 1]
    a.semilogy(smooth(log["generator_grad_norm"], 10), lw=1, color="#c44e52")
    a.set(title="gradient norm reaching the generator (vanishing gradients)", xlabel="step")
    a = axes[1, 0]
    if log["class_histogram"]:
        hist = np.asarray(log["class_histogram"]).T
        a.imshow(
            hist,
            aspect="auto",
            cmap="viridis",
            vmin=0,
            vmax=max(0.3, hist.max()),
            extent=[0, log["histogram_step"][-1] + DIAGNOSTIC_EVERY, hist.shape[0] - 0.5, -0.5],
        )
        a.plot(
            log["histogram_step"],
            np.asarray(log["conditional_accuracy"]) * 9,
            color="white",
            lw=1,
            label="conditional accuracy (0..1 scaled to 0..9)",
        )
        a.legend(fontsize=7, loc="lower right")
        if class_names is not None and len(class_names) == hist.shape[0]:
            a.set_yticks(range(hist.shape[0]), [name.split("/")[0] for name in class_names], fontsize=7)
    a.set(title="class histogram of samples by the classifier (mode collapse)", xlabel="step", ylabel="class")
    a = axes[1, 1]
    g = np.asarray(log["generator_loss"], dtype=float)
    if len(g) > 100:
        rolling = np.lib.stride_tricks.sliding_window_view(g, 100).std(1)
        a.plot(np.arange(99, len(g)), rolling, lw=1, color="#8172b2")
    a.set(title="rolling std of L_G over 100 steps (unstable convergence)", xlabel="step")
    fig.suptitle(title)
    return figure_png(fig)


def walks_table(figures: dict[str, dict]) -> str:
    lines = [
        "| edit @ alpha | relative_l2 | relative_l2, projected | measure | target | achieved | achieved, projected | "
        "class_accuracy |",
        "|---|---|---|---|---|---|---|---|",
    ]
    nan = float("nan")
    for key, f in figures.items():
        lines.append(
            f"| {key} | {f['relative_l2']:.3f} | {f.get('relative_l2_projected', nan):.3f} | {f['measure']} | "
            f"{f['target']:.3g} | {f['achieved']:.3g} | {f.get('achieved_projected', nan):.3g} | "
            f"{f.get('class_accuracy', nan):.3f} |"
        )
    return "\n".join(lines)


def figures_table(rows: dict[str, dict[str, float]]) -> str:
    """Markdown table: one row per model, one column per figure ("—" where a model has no such figure)."""
    columns = list(next(iter(rows.values())))
    lines = ["| model | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for name, figures in rows.items():
        cells = (f"{figures[c]:.4g}" if isinstance(figures.get(c), (int, float)) else "—" for c in columns)
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def compared_table(name: str, recipe: Recipe, figures: dict) -> str:
    """The card's table of test figures, with the rows of the checkpoints the recipe compares with."""
    rows = {name: figures}
    for other in recipe.compare_with:
        log = CHECKPOINTS_DIR / other / "training_log.json"
        if log.exists():
            rows[other] = json.loads(log.read_text())["test_figures"]
    return figures_table(rows)


def training_length(recipe: Recipe, history: list[float], steps_unit: str = "") -> str:
    """The recipe's length for the card: epochs (or steps, steps_unit saying of what), its stages and its schedule."""
    unit = f"{recipe.epochs} steps {steps_unit}" if steps_unit else f"{len(history)} epochs"
    if recipe.dataset == "photos":
        unit = f"{recipe.epochs} steps of {recipe.batch_size} crops, the learning rate falling a hundredfold along a cosine"
    if recipe.second_stage_epochs:
        unit += f" (first stage), then {recipe.second_stage_epochs} epochs of the second stage on its codes"
    if recipe.warmup_epochs:
        unit += f" ({recipe.warmup_epochs} of them the joint embedding)"
    if recipe.cosine_schedule:
        unit += ", the learning rate falling to 0 along a cosine"
    if recipe.flip_images:
        unit += ", each image mirrored left-right with probability 1/2"
    return unit


SCORECARD_SECTION = {
    "Steerability scorecard": (
        "Per edit, over its whole range (9 alphas, 100 generated items each; 50 for the projected walk): the "
        "change measured on the images (median) for the walk G(z + a w), for the walk projected by "
        f"{PROJECT_STEPS} Adam steps on its code towards the target (`project_steps={PROJECT_STEPS}`, the Space's "
        "default) and for the target "
        "edit(G(z), alpha); dotted, the relative L2 of each. Where the curves part is where steering stops."
        "\n\n![scorecard](scorecard.png)"
    )
}


@dataclass(frozen=True)
class CardShape:
    """How a family's card differs from the plain one (its row in genhub.train.families holds one)."""

    table: Callable = compared_table  # (name, recipe, figures) -> the markdown table of test figures
    steps_unit: str = ""  # "": the run is counted in epochs; else in recipe.epochs steps, this saying of what
    sections: dict = field(default_factory=dict)  # further sections, title -> markdown
    base_model_field: str = ""  # the recipe.config field naming the base model ("": recipe.init_generator)


TRAINED_ON = {  # Recipe.dataset -> the card's words
    "fashion-mnist": "Fashion-MNIST",
    "photos": "scikit-image's photos",
    "emoji-32": "Unicode's emoji (Noto Color Emoji, 32 px)",
    "emoji-64": "Unicode's emoji (Noto Color Emoji, 64 px)",
}


def card_text_key(recipe: Recipe) -> str:
    """Which CARD_TEXT / DATA_TEXT / HISTORY_UNIT entry a recipe's card reads: its family's, or on another dataset
    than Fashion-MNIST "<family>/<dataset>"."""
    return recipe.family if recipe.dataset == "fashion-mnist" else f"{recipe.family}/{recipe.dataset}"


def recipe_text(name: str, recipe: Recipe, history: list[float], took: str, steps_unit: str = "") -> str:
    """The card's training recipe: the command, the description, the optimiser, the length, the time it took and
    the train loss along the run."""
    length = training_length(recipe, history, steps_unit)
    return (
        f"`python -m genhub.train {name}`: {recipe.description}; Adam (betas {recipe.betas}), "
        f"learning rate {recipe.learning_rate}, batch {recipe.batch_size}, {length}, "
        f"seed {recipe.seed}; {took}. Train loss per {HISTORY_UNIT.get(card_text_key(recipe), 'epoch')}: "
        + ", ".join(f"{v:.3g}" for v in history)
    )


def write_card(
    name: str,
    recipe: Recipe,
    model,
    figures: dict,
    history: list[float],
    seconds: float,
    diagnostics: str = "",
    threads: int | None = None,
    device: str | None = None,
    shape: CardShape | None = None,
):
    """The model card of a trained checkpoint (shape: how its family's card differs, from the family's row)."""
    shape = shape or CardShape()
    text_key, cpu = card_text_key(recipe), f"{threads or torch.get_num_threads()} CPU thread(s)"
    meaning, use, kind = CARD_TEXT[text_key]
    if recipe.config.get("partial_view"):
        use = PARTIAL_VIEW_USE
    table = shape.table(name, recipe, figures)
    sections = {
        "Install": f"`pip install fdl-genhub` (imports as `genhub`); on the Hub as `{HUB_NAMESPACE}/{name}`: "
        f'`genhub.load_model("{name}")` finds it in `checkpoints/` or downloads it by that repo id.',
        "Use": "```python\nimport genhub, torch\n\n"
        + use.format(name=name, generator=recipe.config.get("generator_name"))
        + "\n```",
        "Data": DATA_TEXT.get(
            text_key,
            "Fashion-MNIST (Debian `dataset-fashion-mnist`): trained on the 60,000 "
            "train images, figures on the 10,000 test images; pixels in [0, 1].",
        ),
        "Training recipe": recipe_text(
            name, recipe, history, f"{seconds / 60:.1f} min on {device or cpu}", shape.steps_unit
        ),
        "Test figures (measured)": table + "\n\n" + meaning + (f"\n\n{recipe.notes}" if recipe.notes else ""),
        "Preview": "![preview](preview.png)",
    }
    sections |= shape.sections
    if diagnostics:
        sections["Training diagnostics: the three pitfalls"] = diagnostics + "\n\n![diagnostics](diagnostics.png)"
    summary = f"{recipe.description[0].upper()}{recipe.description[1:]}, trained on {TRAINED_ON[recipe.dataset]}."
    flat = flat_figures(figures)
    base = recipe.config[shape.base_model_field] if shape.base_model_field else recipe.init_generator
    return make_card(
        f"genhub / {name}",
        summary,
        sections,
        pipeline_tag=kind,
        tags=[recipe.family, recipe.dataset],
        metrics=list(dict.fromkeys(key.split(" (")[0] for key in flat)),
        figures=flat,
        model_name=name,
        base_model=f"{HUB_NAMESPACE}/{base}" if base else None,
        **MEASURED_ON.get(recipe.dataset, {}),
    )


PHOTOS_MEASURED_ON = (
    "scikit-image/data",
    "scikit-image's example photos",
    "camera-astronaut-coffee-chelsea-rocket-moon",
)
EMOJI_MEASURED_ON = ("unicode-emoji", "Unicode's emoji, Noto Color Emoji", "held-out names")
MEASURED_ON = {  # the card's front matter for a dataset that is not on the Hub as Fashion-MNIST is
    "photos": {"datasets": [], "measured_on": PHOTOS_MEASURED_ON},
    "emoji-32": {"datasets": [], "measured_on": EMOJI_MEASURED_ON},
    "emoji-64": {"datasets": [], "measured_on": EMOJI_MEASURED_ON},
}


def flat_figures(figures: dict) -> dict[str, float]:
    """{figure: value}, nested tables flattened to "figure (row)"; what the card's eval_results list."""
    flat = {}
    for key, value in figures.items():
        if isinstance(value, dict):
            flat |= {f"{k} ({key})": v for k, v in value.items() if isinstance(v, (int, float))}
        elif isinstance(value, (int, float)):
            flat[key] = value
    return flat


def gan_summary(log: dict, steps_per_epoch: int) -> tuple[list[float], str]:
    """Per-epoch mean L_G, and a paragraph of figures about the pitfalls from the per-step log."""
    import numpy as np

    g, norms = np.asarray(log["generator_loss"]), np.asarray(log["generator_grad_norm"])
    history = [float(g[i : i + steps_per_epoch].mean()) for i in range(0, len(g), steps_per_epoch)]
    tenth = max(1, len(g) // 10)
    rolling = np.lib.stride_tricks.sliding_window_view(g, min(100, len(g))).std(1)
    hist = np.asarray(log["class_histogram"][-1]) if log["class_histogram"] else np.full(10, np.nan)
    text = (
        f"Logged every step ({len(g)} steps; `training_log.json` has the raw series). Generator gradient norm: "
        f"median {np.median(norms[:tenth]):.3g} in the first tenth of training, {np.median(norms[-tenth:]):.3g} "
        f"in the last (vanishing gradients show as a collapse towards 0). Class histogram of {50 * len(hist)} "
        f"conditional samples at the end, 50 a class: min {hist.min():.3f}, max {hist.max():.3f} (uniform = "
        f"{1 / len(hist):.3g}; mode collapse shows as "
        f"empty classes); conditional accuracy {(log['conditional_accuracy'] or [float('nan')])[-1]:.3f}. "
        f"Rolling std of L_G over 100 steps: median {np.median(rolling):.3g}, max {rolling.max():.3g} "
        f"(unstable convergence shows as bursts)."
    )
    return history, text


def tokenizer_files(model) -> dict[str, bytes]:
    """The text GAN's tokenizer as files beside the weights, so AutoTokenizer loads it from the folder too."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        model.tokenizer.save_pretrained(folder)
        return {p.name: p.read_bytes() for p in Path(folder).iterdir() if p.is_file()}


def scorecard_plot(gan, walks, num_images: int = 100) -> bytes:
    """The steerability scorecard as a PNG: per edit, achieved (walk) and target change against the requested
    alpha over the whole range, measured on generated items (genhub.metrics.steerability)."""
    fig, axes = new_figure(2, 3, figsize=(12, 7), dpi=90)
    for ax, edit in zip(axes.flat, walks.config.edits):
        alphas = EDITS[edit].alphas(9)
        rows = [steerability(gan, walks, edit, a, None, num_images) for a in alphas]
        projected = [
            steerability(gan, walks, edit, a, None, num_images // 2, project_steps=PROJECT_STEPS) for a in alphas
        ]
        ax.plot(alphas, [r["target"] for r in rows], "o-", color="#4c72b0", label="target edit")
        ax.plot(alphas, [r["achieved"] for r in rows], "s-", color="#dd8452", label="walk")
        ax.plot(alphas, [r["achieved"] for r in projected], "^-", color="#55a868", label="walk, projected")
        twin = ax.twinx()
        twin.plot(alphas, [r["relative_l2"] for r in rows], ":", color="#dd8452", label="relative L2, walk")
        twin.plot(alphas, [r["relative_l2"] for r in projected], ":", color="#55a868", label="relative L2, projected")
        twin.set_ylim(0, 1.2)
        ax.set(title=edit, xlabel=f"requested alpha ({EDITS[edit].unit.split(', >')[0]})", ylabel=rows[0]["measure"])
        if EDITS[edit].log_scale:
            ax.set_xscale("log", base=2)
        ax.legend(fontsize=7, loc="upper left")
        twin.legend(fontsize=7, loc="lower right")
    fig.suptitle(f"steerability scorecard: {walks.config.generator_name}")
    return figure_png(fig)
