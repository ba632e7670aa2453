"""The Space's Steer tab: latent walks for zoom, shift X/Y, brightness, rotate 2D/3D (Jahanian 2019), and the
directions the generator found by itself (SeFa)."""

from __future__ import annotations

import gradio as gr
import torch

from genhub.images import gif_bytes
from genhub.models.walks import PROJECT_STEPS  # each frame's code refined towards its target (~0.3 s a strip)
from genhub.operations.steering import EDITS, discover_directions, steer, walk_strip

from ..common import (
    CHECKPOINTS_DIR,
    CLASSES,
    GANS,
    CheckedNumber,
    CheckedSlider,
    checked_class,
    first_result,
    get_model,
    handler,
    number,
    on_run,
    output_file,
    recipe,
    refusal,
    resolve_seed,
    show,
)

LESSON = """### Steering a generator: walks in z that do one thing
A GAN maps a latent code z to an image. Jahanian et al. (2019) look for one direction **w** per edit such that
moving z along it performs the edit: **G(z + α·w) ≈ edit(G(z), α)**. A generator can only be steered as far as
its data varies, and Fashion-MNIST items are centred, upright and of one size, so these generators were trained
*jointly* with their walks, with real images shifted, zoomed and turned the same way in the adversarial game.

A straight walk moves every item the same way, and moved small steps too little; so each frame's code is then
**projected**: refined by a few Adam steps on z alone until G(z', y) is as close as the generator can come to the
target (*projection steps*; 0 shows the learned walk alone). The walk is the start, the projection each item's own
correction, and what remains is what this generator cannot draw (a grey background, for one: brightening adds it).

**What to look at:** the top strip is the walk, the one below is the target (the edit applied to the first
image). Where the two agree, the edit is inside the generator's output space; the scorecard shows, per edit,
how much of the requested change the learned walk alone achieves over the whole range."""


def edit_control(edit: str):
    """The α slider for an edit: its own range, step and a moderate default."""
    if edit not in EDITS:
        raise refusal(f"edit must be one of {', '.join(EDITS)}")
    return gr.update(**_slider(edit))


def start(model: str, class_name: str, seed) -> tuple:
    net = get_model(model)
    label = checked_class(class_name) or CLASSES[0]
    return net, label, resolve_seed(seed)


@handler
def steer_walk_endpoint(
    model: str, class_name: str, seed: int, edit: str, alpha: float, frames: int, project_steps: int = PROJECT_STEPS
):
    """Walk one generated item along the learned direction of an edit, each frame's code then projected onto its
    target (project_steps), beside the target edit.

    Args:
        model: the generator (a conditional GAN checkpoint with walks).
        class_name: the item's class ("any" uses the first class).
        seed: seed of the item's latent code (-1: a random seed, returned).
        edit: zoom, shift_x, shift_y, brightness, rotate_2d or rotate_3d.
        alpha: how far, in the edit's unit (zoom 0.5..2, shifts ±8 px, brightness ±0.5, rotate 2D ±45°, 3D ±60°).
        frames: number of frames of the strip (2..15), from the mirror of alpha to alpha.
        project_steps: Adam steps refining each frame's code towards its target, 0..300 (0: the learned walk alone).
    """
    if edit not in EDITS:
        raise ValueError(f"edit must be one of {', '.join(EDITS)}")
    e = EDITS[edit]
    alpha, frames = number("alpha", alpha, e.low, e.high), number("frames", frames, 2, 15, integer=True)
    project_steps = number("project_steps", project_steps, 0, 300, integer=True)
    net, label, used_seed = start(model, class_name, seed)
    generator = torch.Generator().manual_seed(used_seed)
    out = walk_strip(net, edit, alpha, frames, class_labels=label, generator=generator, project_steps=project_steps)
    params = dict(
        model=model,
        class_name=class_name,
        seed=used_seed,
        edit=edit,
        alpha=alpha,
        frames=frames,
        project_steps=project_steps,
    )
    code = (
        f"import genhub, torch\nfrom genhub.operations import walk_strip\ngan = genhub.load_model({model!r})\n"
        f"out = walk_strip(gan, {edit!r}, {alpha}, {frames}, class_labels={label!r}, "
        f"generator=torch.Generator().manual_seed({used_seed}), project_steps={project_steps})"
        "  # out.images, out.targets"
    )
    note = f"α from {out.alphas[0]:.3g} to {out.alphas[-1]:.3g} ({edit}: {e.unit}); seed used **{used_seed}**."
    gif = output_file(gif_bytes(out.images), ".gif")
    return (
        show(out.images, ncols=frames, scale=6),
        show(out.targets, ncols=frames, scale=6),
        gif,
        gif,
        note,
        recipe("/steer_walk", model, params, code),
    )


@handler
def steer_combined_endpoint(
    model: str,
    class_name: str,
    seed: int,
    zoom: float,
    shift_x: float,
    shift_y: float,
    brightness: float,
    rotate_2d: float,
    rotate_3d: float,
    project_steps: int = PROJECT_STEPS,
):
    """Apply several learned walks at once: G(z + sum_e a_e w_e), projected onto the edits, before and after.

    Args:
        model: the generator with walks (fashion-ebgan, fashion-dcgan).
        class_name: the item's class.
        seed: seed of the item's code (-1: random).
        zoom: scale factor 0.5..2 (1 = unchanged).
        shift_x: pixels -8..8 (0 = unchanged).
        shift_y: pixels -8..8.
        brightness: -0.5..0.5.
        rotate_2d: degrees -45..45.
        rotate_3d: degrees -60..60.
        project_steps: Adam steps refining the code towards the edited item, 0..300 (0: the learned walks alone).
    """
    values = dict(
        zoom=zoom, shift_x=shift_x, shift_y=shift_y, brightness=brightness, rotate_2d=rotate_2d, rotate_3d=rotate_3d
    )
    edits = {name: number(name, v, EDITS[name].low, EDITS[name].high) for name, v in values.items()}
    project_steps = number("project_steps", project_steps, 0, 300, integer=True)
    net, label, used_seed = start(model, class_name, seed)
    generator = torch.Generator().manual_seed(used_seed)
    latents, labels = net.sample_inputs(1, label, None, 1.0, generator)
    before = net.generate(latents=latents, class_labels=labels)
    after = steer(net, edits, latents=latents, class_labels=labels, project_steps=project_steps)
    params = dict(model=model, class_name=class_name, seed=used_seed, **edits, project_steps=project_steps)
    code = (
        f"import genhub, torch\nfrom genhub.operations import steer\ngan = genhub.load_model({model!r})\n"
        f"images = steer(gan, {edits!r}, class_labels={label!r}, "
        f"generator=torch.Generator().manual_seed({used_seed}), project_steps={project_steps})"
    )
    return show(torch.cat([before, after]), ncols=2), recipe("/steer_combined", model, params, code)


@handler
def steer_discovered_endpoint(model: str, class_name: str, seed: int, num_directions: int, frames: int):
    """Directions the generator found by itself (SeFa: eigenvectors of its first layer), one strip each,
    labelled by the edit measure they change most and their |cosine| to the learned walks.

    Args:
        model: the generator with walks (fashion-ebgan, fashion-dcgan).
        class_name: the item's class.
        seed: seed of the item's code (-1: random).
        num_directions: how many directions, 1..10.
        frames: frames per strip, 3..15.
    """
    k = number("num_directions", num_directions, 1, 10, integer=True)
    frames = number("frames", frames, 3, 15, integer=True)
    net, label, used_seed = start(model, class_name, seed)
    found = discover_directions(net, k, frames, class_labels=label, generator=torch.Generator().manual_seed(used_seed))
    rows = "\n".join(
        f"| {i} | {float(s):.3g} | {effect} | {max(cos, key=cos.get)} ({max(cos.values()):.2f}) |"
        for i, (s, effect, cos) in enumerate(zip(found.strengths, found.effects, found.cosine_to_walks))
    )
    table = (
        "| direction (row) | strength | measured effect (64 items) | closest learned walk (abs cosine) |\n"
        f"|---|---|---|---|\n{rows}"
    )
    return show(found.images, ncols=frames, scale=4), table


def scorecard(model: str):
    path = CHECKPOINTS_DIR / f"{model}-walks" / "scorecard.png"
    if not path.exists():
        return None
    return output_file(path.read_bytes(), ".png")


COMBINED_DEFAULT = {"zoom": 1.3, "rotate_2d": 15.0}  # "several edits at once" opens on a visible edit, not the identity


def create_tab():
    with gr.Tab("Steer"):
        gr.Markdown(LESSON)
        with gr.Row():
            model = gr.Dropdown(GANS, value=GANS[0] if GANS else None, label="generator")
            class_name = gr.Dropdown(CLASSES, value="Sneaker" if "Sneaker" in CLASSES else None, label="class")
            seed = CheckedNumber(0, precision=0, label="seed (−1 = random)")
        with gr.Row():
            edit = gr.Radio(list(EDITS), value="shift_x", label="edit")
            alpha = CheckedSlider(**_slider("shift_x"))
            frames = CheckedSlider(2, 15, value=9, step=1, label="frames")
            project = CheckedSlider(0, 300, value=PROJECT_STEPS, step=10, label="projection steps (0 = walk alone)")
        edit.change(edit_control, [edit], [alpha], api_visibility="private")
        go = gr.Button("Walk", variant="primary")
        default = GANS[0] if GANS else None
        first = first_result(steer_walk_endpoint, default, "Sneaker", 0, "shift_x", 6.0, 9) if GANS else (None,) * 6
        walk = gr.Image(first[0], label="walk G(z′): z + α·w, projected onto the target", format="png", type="pil")
        target = gr.Image(first[1], label="target edit(G(z), α)", format="png", type="pil")
        with gr.Row():
            animation = gr.Image(first[2], label="the walk, animated", type="filepath", height=240)
            with gr.Column():
                gif = gr.File(first[3], label="download the GIF")
                note = gr.Markdown(first[4])
        how = gr.Markdown(first[5])
        on_run(
            go.click,
            steer_walk_endpoint,
            [model, class_name, seed, edit, alpha, frames, project],
            [walk, target, animation, gif, note, how],
            api_name="steer_walk",
        )
        with gr.Accordion("Steerability scorecard: achieved vs requested, over each edit's whole range", open=False):
            card = gr.Image(value=scorecard(GANS[0]) if GANS else None, label="scorecard", type="pil", format="png")
            model.change(scorecard, [model], [card], api_visibility="private")
        with gr.Accordion("Several edits at once", open=False):
            sliders = [
                CheckedSlider(
                    e.low,
                    e.high,
                    value=COMBINED_DEFAULT.get(name, e.identity),
                    step=e.step_size,
                    label=f"{name} ({e.unit})",
                )
                for name, e in EDITS.items()
            ]
            both = gr.Button("Steer")
            pair, how_pair = gr.Image(label="before · after", format="png", type="pil"), gr.Markdown()
            on_run(
                both.click,
                steer_combined_endpoint,
                [model, class_name, seed, *sliders, project],
                [pair, how_pair],
                api_name="steer_combined",
            )
        _discovered_accordion(model, class_name, seed)


def _discovered_accordion(model, class_name, seed):
    """The SeFa directions: strips and their measured effects (/steer_discovered)."""
    with gr.Accordion("Directions the generator found by itself (SeFa)", open=False):
        gr.Markdown(
            "Without any labels: the eigenvectors of AᵀA, A the first layer's weights on z, are the "
            "directions along which the generator's first feature map changes most (Shen & Zhou 2021). "
            "Each row walks one of them from −6 to +6; the table says what it does, measured."
        )
        with gr.Row():
            k = CheckedSlider(1, 10, value=6, step=1, label="directions")
            k_frames = CheckedSlider(3, 15, value=9, step=1, label="frames")
        find = gr.Button("Find directions")
        strips, table = gr.Image(label="one row per direction", format="png", type="pil"), gr.Markdown()
        on_run(
            find.click,
            steer_discovered_endpoint,
            [model, class_name, seed, k, k_frames],
            [strips, table],
            api_name="steer_discovered",
        )


def _slider(edit: str) -> dict:
    e = EDITS[edit]
    return dict(
        minimum=e.low,
        maximum=e.high,
        step=e.step_size,
        value=e.default,
        label=f"α for {edit}: {e.unit} ({e.low:g} to {e.high:g}, identity {e.identity:g})",
    )
