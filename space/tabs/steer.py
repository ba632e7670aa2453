"""The Space's Steer tab: learned latent walks for zoom, shift X/Y, brightness, rotate 2D/3D (Jahanian 2019)."""

from __future__ import annotations

import tempfile

import gradio as gr
import torch

from genhub.images import to_pil
from genhub.models.walks import EDIT_RANGES
from genhub.operations.steering import edit_images, steer

from ..common import CLASSES, GANS, checked_class, get_model, handler, number, recipe, resolve_seed, show

EDITS = list(EDIT_RANGES)


def walk_alphas(edit: str, alpha: float, frames: int) -> list[float]:
    """frames values from the mirror of alpha to alpha (zoom: 1/alpha to alpha, on a log scale)."""
    low, identity, high = EDIT_RANGES[edit]
    if edit == "zoom":
        a = max(alpha, 1 / alpha)
        return [a ** (2 * t / (frames - 1) - 1) for t in range(frames)]
    a = abs(alpha - identity)
    return [-a + 2 * a * t / (frames - 1) for t in range(frames)]


def gif_file(frames: torch.Tensor) -> str:
    """An animated GIF of the frames (enlarged x8), forth and back; returns its path."""
    images = [to_pil(f, 8).convert("P") for f in frames]
    images += images[-2:0:-1]
    path = tempfile.NamedTemporaryFile(suffix=".gif", delete=False).name
    images[0].save(path, save_all=True, append_images=images[1:], duration=120, loop=0)
    return path


def start(model: str, class_name: str, seed) -> tuple:
    net = get_model(model)
    label = checked_class(class_name) or CLASSES[0]
    used_seed = resolve_seed(seed)
    latents, labels = net.sample_inputs(1, label, None, 1.0, torch.Generator().manual_seed(used_seed))
    return net, label, used_seed, latents, labels


@handler
def steer_walk_endpoint(model: str, class_name: str, seed: int, edit: str, alpha: float, frames: int):
    if edit not in EDITS:
        raise ValueError(f"edit must be one of {', '.join(EDITS)}")
    low, identity, high = EDIT_RANGES[edit]
    alpha, frames = number("alpha", alpha, low, high), number("frames", frames, 3, 15, integer=True)
    net, label, used_seed, latents, labels = start(model, class_name, seed)
    alphas = walk_alphas(edit, alpha, frames)
    walk = torch.cat([steer(net, edit, a, latents=latents, class_labels=labels) for a in alphas])
    first = net.generate(latents=latents, class_labels=labels)
    targets = torch.cat([edit_images(first, edit, a)[0] for a in alphas])
    params = dict(model=model, class_name=class_name, seed=used_seed, edit=edit, alpha=alpha, frames=frames)
    code = (
        f"import genhub, torch\nfrom genhub.operations import steer\ngan = genhub.load_model({model!r})\n"
        f"images = steer(gan, {edit!r}, {alpha}, class_labels={label!r}, generator=torch.Generator().manual_seed({used_seed}))"
    )
    note = f"α from {alphas[0]:.3g} to {alphas[-1]:.3g} ({edit}); seed used **{used_seed}**."
    return (
        show(walk, ncols=frames, scale=4),
        show(targets, ncols=frames, scale=4),
        gif_file(walk),
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
):
    values = dict(
        zoom=zoom, shift_x=shift_x, shift_y=shift_y, brightness=brightness, rotate_2d=rotate_2d, rotate_3d=rotate_3d
    )
    edits = {e: number(e, v, EDIT_RANGES[e][0], EDIT_RANGES[e][2]) for e, v in values.items()}
    net, label, used_seed, latents, labels = start(model, class_name, seed)
    before = net.generate(latents=latents, class_labels=labels)
    after = steer(net, edits, latents=latents, class_labels=labels)
    params = dict(model=model, class_name=class_name, seed=used_seed, **edits)
    code = (
        f"import genhub, torch\nfrom genhub.operations import steer\ngan = genhub.load_model({model!r})\n"
        f"images = steer(gan, {edits!r}, class_labels={label!r}, generator=torch.Generator().manual_seed({used_seed}))"
    )
    return show(torch.cat([before, after]), ncols=2), recipe("/steer_combined", model, params, code)


def create_tab():
    with gr.Tab("Steer"):
        gr.Markdown(
            "Jahanian et al. 2019: one latent direction per edit, learned with the generator frozen so that "
            "G(z + α·w) ≈ edit(G(z), α). Top: the walk; below: the edit applied to the first image (the target)."
        )
        with gr.Row():
            model = gr.Dropdown(GANS, value=GANS[0] if GANS else None, label="generator")
            class_name = gr.Dropdown(CLASSES, value="Sneaker", label="class")
            seed = gr.Number(0, precision=0, label="seed (−1 = random)")
        with gr.Row():
            edit = gr.Radio(EDITS, value="zoom", label="edit")
            alpha = gr.Slider(
                -60,
                60,
                value=2.0,
                step=0.05,
                label="α (zoom: 0.5–2, shifts: ±8 px, brightness: ±0.5, rotate 2D: ±45°, rotate 3D: ±60°)",
            )
            frames = gr.Slider(3, 15, value=9, step=1, label="frames")
        go = gr.Button("Walk", variant="primary")
        walk = gr.Image(label="walk G(z + α·w)", format="png", type="pil")
        target = gr.Image(label="target edit(G(z), α)", format="png", type="pil")
        with gr.Row():
            gif, note = gr.File(label="animated GIF"), gr.Markdown()
        how = gr.Markdown()
        go.click(
            steer_walk_endpoint,
            [model, class_name, seed, edit, alpha, frames],
            [walk, target, gif, note, how],
            api_name="steer_walk",
        )
        with gr.Accordion("Several edits at once", open=False):
            sliders = [
                gr.Slider(low, high, value=identity, step=0.05, label=e)
                for e, (low, identity, high) in EDIT_RANGES.items()
            ]
            both = gr.Button("Steer")
            pair, how_pair = gr.Image(label="before · after", format="png", type="pil"), gr.Markdown()
            both.click(
                steer_combined_endpoint,
                [model, class_name, seed, *sliders],
                [pair, how_pair],
                api_name="steer_combined",
            )
