"""The Space's Super-resolution tab: internal (single-image), learned (Fashion-MNIST) and bicubic, side by side."""

from __future__ import annotations

import html

import gradio as gr
import torch
from PIL import Image

from genhub.images import EXAMPLE_PHOTOS, example_photo, image_tensor
from genhub.metrics import psnr, ssim
from genhub.models.super_resolution import bicubic
from genhub.operations.super_resolution import (
    MAX_INPUT_SIDE,
    MAX_STEPS,
    METHODS,
    START_STEPS,
    internal_seconds,
    super_resolve,
)

from ..common import (
    EXAMPLE_NAMES,
    EXAMPLES,
    LONG_JOB_WORKERS,
    LONG_JOBS,
    UPLOADED,
    CheckedSlider,
    ImageUpload,
    NumberChoice,
    dataset_of,
    deadline_progress,
    get_model,
    handler,
    image_file,
    models_of,
    number,
    on_run,
    recipe,
    upload_expr,
)

PHOTOS = EXAMPLE_PHOTOS
SR_MODELS = models_of("genhub_super_resolution")
PHOTO_MODEL = "photo-sr-x2"  # where the internal method starts by default: a x2 model trained on other photos
NO_MODEL = "none"  # the internal method from a fresh net
MAX_INTERNAL_SECONDS = 15  # estimated seconds (on 2 quiet CPU cores) of one internal request: steps + output size
TAB_STEPS = START_STEPS  # the tab's default, from photo-sr-x2: bench/results/super_resolution.md


def example_choices() -> list[str]:
    return [f"photo: {p}" for p in PHOTOS] + [f"fashion: {name}" for name in EXAMPLE_NAMES[::10]]


def load_example(choice: str) -> torch.Tensor:
    """The chosen example at full resolution, (1, C, H, W) in [0, 1]; photos are centre-cropped to 256x256."""
    if choice.startswith("photo: ") and choice[7:] in PHOTOS:
        return example_photo(choice[7:], 256)
    if choice.startswith("fashion: ") and choice[9:] in EXAMPLE_NAMES:
        i = EXAMPLE_NAMES.index(choice[9:])
        return EXAMPLES[i : i + 1]
    raise ValueError(f"unknown example {choice!r}")


def to_image(x: torch.Tensor, scale: int = 1) -> Image.Image:
    array = (x[0].clamp(0, 1) * 255).round().byte().permute(1, 2, 0).numpy()
    image = Image.fromarray(array[..., 0] if array.shape[2] == 1 else array)
    return image.resize((image.width * scale, image.height * scale), Image.NEAREST) if scale > 1 else image


def input_pair(image, example: str, scale: int):
    """(low, truth or None, source): an upload is upscaled as it is (no ground truth); an example is first
    downscaled by the factor, so the original is the ground truth."""
    if image:
        return image_tensor(image), None, "your image"
    truth = load_example(example)
    truth = truth[:, :, : truth.shape[2] // scale * scale, : truth.shape[3] // scale * scale]
    return bicubic(truth, (truth.shape[2] // scale, truth.shape[3] // scale)), truth, html.escape(example)


def python_recipe(uploaded: bool, example: str, scale: int, method: str, model: str, steps: int) -> str:
    """The Python that reproduces a super-resolution answer, from the same input."""
    if uploaded:
        load = f"from genhub.images import image_tensor\nlow = image_tensor({UPLOADED!r})"
    elif example.startswith("photo: "):
        load = f"from genhub.images import example_photo\ntruth = example_photo({example[7:]!r}, 256)"
    else:
        index = EXAMPLE_NAMES.index(example[9:])
        load = f"from genhub.images import example_items\ntruth = example_items()[0][{index}:{index + 1}]"
    if not uploaded:
        load += (
            "\nfrom genhub.models.super_resolution import bicubic\n"
            f"truth = truth[:, :, : truth.shape[2] // {scale} * {scale}, : truth.shape[3] // {scale} * {scale}]\n"
            f"low = bicubic(truth, (truth.shape[2] // {scale}, truth.shape[3] // {scale}))"
        )
    model_arg = f", model=genhub.load_model({model!r})" if method != "bicubic" and model != NO_MODEL else ""
    return (
        f"import genhub\nfrom genhub.operations import super_resolve\n{load}\n"
        f"high = super_resolve(low, scale={scale}, method={method!r}{model_arg}, steps={steps}, seed=0)"
    )


def check_internal_work(low: torch.Tensor, scale: int, steps: int) -> None:
    """Refuse an internal request estimated over MAX_INTERNAL_SECONDS (training steps + the output's size)."""
    work = internal_seconds(low.shape[2], low.shape[3], scale, steps)
    if work > MAX_INTERNAL_SECONDS:
        fits = max(
            (s for s in range(10, steps, 10) if internal_seconds(*low.shape[2:], scale, s) <= MAX_INTERNAL_SECONDS),
            default=0,
        )
        advice = f"ask for at most {fits} steps" if fits else "ask for a smaller image or factor 2"
        raise ValueError(
            f"this request would take about {work:.0f} s ({steps} training steps, then a "
            f"{low.shape[3] * scale}x{low.shape[2] * scale} output); at most {MAX_INTERNAL_SECONDS} s are allowed: "
            f"{advice}"
        )


def chosen_model(method: str, model: str, scale: int):
    """The model the method uses: learned, the network itself (its factor = scale); internal, the x2 net its
    training starts from, or None for a fresh one (model "none"); bicubic, none."""
    if method == "learned" and model == NO_MODEL:
        raise ValueError(f"the learned method needs a model: one of {', '.join(SR_MODELS)}")
    net = get_model(model) if method != "bicubic" and model != NO_MODEL else None
    needed = scale if method == "learned" else 2
    if net is not None and net.config.scale != needed:
        alternative = "" if method == "learned" else f" (or {NO_MODEL})"
        raise ValueError(
            f"{model} upscales x{net.config.scale}; {method} x{scale} needs a x{needed} model{alternative}"
        )
    return net


TRAINED_ON = {"photos": "photos", "fashion-mnist": "28x28 grey Fashion-MNIST items", "emoji-32": "32-px colour emoji"}


def learned_note(model: str, fashion_item: bool) -> str:
    """What a learned model says when given something other than what it was trained on (its card's dataset tag)."""
    data = dataset_of(model)
    if data == ("fashion-mnist" if fashion_item else "photos"):
        return ""
    given, advice = (
        ("28x28 Fashion-MNIST items", "the fashion-sr models know those")
        if fashion_item
        else ("photos", f"for photos use {PHOTO_MODEL} or internal")
    )
    colour = " (colour by bicubic)" if data == "fashion-mnist" and not fashion_item else ""
    return (
        f"\n\n*{html.escape(model)} was trained on {TRAINED_ON.get(data, data)}, not {given}: it upscales this image "
        f"with what it learned from those{colour}; {advice}.*"
    )


@handler
def super_resolve_endpoint(
    image, example: str, scale: int, method: str, model: str, steps: int, progress=gr.Progress()
):
    """Upscale an image x2 or x4: internal (ZSSR-style: fine-tunes on the image itself, by default starting from
    photo-sr-x2, a net trained on other photos), learned (photo-sr-x2 for photos, fashion-sr-* for items) or
    bicubic; examples are downscaled first so PSNR/SSIM can be measured.

    Args:
        image: your image file, or null to use the example.
        example: "photo: <camera|astronaut|coffee|chelsea|rocket|moon>" or "fashion: <test image>".
        scale: 2 or 4.
        method: internal, learned or bicubic.
        model: learned: the model (its factor must match scale); internal: the x2 model training starts from
            ("photo-sr-x2", trained on other photos) or "none" (a fresh net).
        steps: internal training steps, 10..3000 (with the output's size, capped at about 15 s of work on 2 CPU cores).
    """
    scale = number("scale", scale, 2, 4, integer=True)
    if scale not in (2, 4) or method not in METHODS:
        raise ValueError(f"scale must be 2 or 4 and method one of {', '.join(METHODS)}")
    steps = number("steps", steps, 10, MAX_STEPS, integer=True)
    if not image and (not isinstance(example, str) or not example.startswith(("photo: ", "fashion: "))):
        raise ValueError('give an image: an upload, or one of the examples ("photo: ..." or "fashion: ...")')
    low, truth, source = input_pair(image, example, scale)
    net = chosen_model(method, model, scale)
    if method == "internal":
        check_internal_work(low, scale, steps)
    report = deadline_progress(progress)
    report(0, "training on the image itself" if method == "internal" else "upscaling")
    out = super_resolve(
        low,
        scale,
        method,
        model=net,
        steps=steps,
        progress=lambda done, total: report(done / total, f"internal training step {done}/{total}"),
    )
    base = super_resolve(low, scale, "bicubic")
    fashion_item = not image and example.startswith("fashion: ")
    info_note = learned_note(model, fashion_item) if method == "learned" else ""
    zoom = 8 if out.shape[2] <= 56 else 1  # enlarge tiny Fashion-MNIST results for the eye
    info = f"Input: {source}, {low.shape[3]}x{low.shape[2]} → {out.shape[3]}x{out.shape[2]} ({method})."
    if truth is not None:
        rows = [(method, out)] if method == "bicubic" else [(method, out), ("bicubic", base)]
        info += "\n\n| | PSNR (dB) | SSIM |\n|---|---|---|\n" + "\n".join(
            f"| {name} | {psnr(x, truth).item():.2f} | {ssim(x, truth).item():.4f} |" for name, x in rows
        )
    info += info_note
    params = dict(
        image=upload_expr() if image else None, example=example, scale=scale, method=method, model=model, steps=steps
    )
    code = python_recipe(bool(image), example, scale, method, model, steps)
    return (
        (image_file(to_image(base, zoom)), image_file(to_image(out, zoom))),
        image_file(to_image(out, zoom)),
        info,
        recipe("/super_resolve", model if net is not None else "", params, code),
    )


def create_tab():
    with gr.Tab("Super-resolution"):
        gr.Markdown(
            "### Super-resolution: inventing the missing detail\n"
            "**Internal** (Glasner 2009 / ZSSR): a small CNN learns, at test time, to undo downscaling on crops of the "
            f"image itself, then applies that to the whole image; by default it starts from `{PHOTO_MODEL}`, a net "
            "trained on other photos, so a few hundred steps fit the Space's time (model `none`: from scratch). "
            f"**Learned**: `{PHOTO_MODEL}` alone, or a network trained on Fashion-MNIST (srez; with an adversarial term "
            "in the `-gan` models, for sharper edges). **Bicubic** is the baseline.\n\n"
            "**What to look at:** drag the slider to compare; the PSNR/SSIM gain over bicubic. Examples are first "
            f"downscaled by the factor so the result can be measured; uploads (≤ {MAX_INPUT_SIDE} px a side) are "
            "upscaled as they are. The download is the full-size result."
        )
        with gr.Row():
            with gr.Column():
                image = ImageUpload(
                    type="filepath", label="upload (optional)", image_mode=None, sources=["upload", "clipboard"]
                )
                example = gr.Dropdown(example_choices(), value="photo: camera", label="or an example")
                scale = NumberChoice([2, 4], value=2, label="factor")
                method = gr.Radio(list(METHODS), value="internal", label="method")
                model = gr.Dropdown(
                    [*SR_MODELS, NO_MODEL],
                    value=PHOTO_MODEL if PHOTO_MODEL in SR_MODELS else NO_MODEL,
                    label="model (learned: the network; internal: where its training starts)",
                )
                steps = CheckedSlider(10, MAX_STEPS, value=TAB_STEPS, step=10, label="internal training steps")
                go = gr.Button("Super-resolve", variant="primary")
            with gr.Column():
                compare = gr.ImageSlider(label="bicubic ↔ result", type="pil", format="png")
                result = gr.Image(label="result (download; 28-px items enlarged x8)", type="pil", format="png")
                info, how = gr.Markdown(), gr.Markdown()
        on_run(
            go.click,
            super_resolve_endpoint,
            [image, example, scale, method, model, steps],
            [compare, result, info, how],
            api_name="super_resolve",
            concurrency_id=LONG_JOBS,
            concurrency_limit=LONG_JOB_WORKERS,
        )
