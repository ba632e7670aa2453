"""Helpers shared by the Space's tabs: the shipped models, user inputs, errors, reproduction recipes.

Every handler goes through `handler`, so bad input becomes a gr.Error saying what was wrong.
"""

from __future__ import annotations

import contextlib
import functools
import html
import json
import logging
import math
import secrets
import tempfile
import time
import uuid
from pathlib import Path

import gradio as gr
import numpy as np
import torch
from PIL import Image

import genhub
from genhub.hub import weights_revision
from genhub.images import MAX_UPLOAD_SIDE, UPLOAD_FORMATS, from_pil, grid, open_image
from genhub.models import CHECKPOINTS_DIR

log = logging.getLogger("genhub.app")
ASSETS = Path(__file__).resolve().parents[1] / "assets"
SPACE_URL = "http://127.0.0.1:7860/"  # where the app runs locally; on the Hub, the Space id
SCALE = 8  # 28x28 images are shown 8x larger, nearest neighbour


def discover_models() -> dict[str, str]:
    """Shipped checkpoint name -> model_type, from checkpoints/*/config.json."""
    found = {}
    for config in sorted(CHECKPOINTS_DIR.glob("*/config.json")):
        found[config.parent.name] = json.loads(config.read_text()).get("model_type", "")
    return found


MODELS = discover_models()


def models_of(*model_types: str) -> list[str]:
    return [name for name, kind in MODELS.items() if kind in model_types]


def test_figures(name: str) -> dict:
    """The measured test figures a checkpoint's training log holds ({} when it has none)."""
    log = CHECKPOINTS_DIR / name / "training_log.json"
    return json.loads(log.read_text()).get("test_figures", {}) if log.exists() else {}


# the default sampler is the GAN with the lowest measured classifier-FID
GANS = sorted(models_of("genhub_ebgan"), key=lambda n: test_figures(n).get("fid", float("inf")))


def _class_names() -> list[str]:
    """The class names of the conditional GANs, read from the first one's config."""
    for name in GANS:
        names = json.loads((CHECKPOINTS_DIR / name / "config.json").read_text()).get("class_names")
        if names:
            return list(names)
    return []


CLASSES = _class_names()


def checked_class(class_name: str):
    """'any' -> None; a known class name as is; anything else a ValueError naming the choices."""
    if class_name == "any":
        return None
    if class_name not in CLASSES:
        raise ValueError(f"class must be 'any' or one of {', '.join(CLASSES)}")
    return class_name


def figure_to_image(fig) -> Image.Image:
    """A matplotlib figure as a PIL image (closed afterwards)."""
    import matplotlib.pyplot as plt

    fig.canvas.draw()
    image = Image.fromarray(np.asarray(fig.canvas.buffer_rgba())).convert("RGB")
    plt.close(fig)
    return image


@functools.cache
def get_model(name: str):
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; available: {', '.join(MODELS)}")
    return genhub.load_model(CHECKPOINTS_DIR / name)


def load_examples() -> tuple[torch.Tensor, list[str]]:
    """The shipped Fashion-MNIST test examples (assets/): images (N, 1, 28, 28) and their captions."""
    meta = json.loads((ASSETS / "fashion_mnist_test_examples.json").read_text())
    sheet = torch.from_numpy(np.asarray(Image.open(ASSETS / "fashion_mnist_test_examples.png"), dtype=np.float32) / 255)
    k, t = meta["per_class"], meta["tile"]
    images = sheet.view(-1, t, k, t).permute(0, 2, 1, 3).reshape(-1, 1, t, t)  # (classes * k, 1, 28, 28)
    names = [
        f"#{i} test {idx}: {meta['classes'][lab]}"
        for i, (idx, lab) in enumerate(zip(meta["test_indices"], meta["labels"]))
    ]
    return images, names


EXAMPLES, EXAMPLE_NAMES = load_examples()


def handler(fn):
    """Turn bad input into a gr.Error with the (escaped) reason; never show a stack trace."""

    @functools.wraps(fn)
    def wrapped(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except gr.Error:
            raise
        except (ValueError, TypeError, OSError) as err:
            raise gr.Error(html.escape(str(err))) from err
        except Exception as err:
            log.exception("internal error in %s", fn.__name__)
            raise gr.Error(f"internal error ({type(err).__name__}); the request was not completed") from err

    return wrapped


def number(name: str, value, low: float, high: float, integer: bool = False):
    """A slider/number value checked for type, NaN and range (the API can send anything)."""
    if value is None or isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        raise ValueError(f"{name} must be a number in [{low}, {high}], got {value!r}")
    if not low <= value <= high:
        raise ValueError(f"{name} must be in [{low}, {high}], got {value}")
    if integer and value != int(value):
        raise ValueError(f"{name} must be a whole number, got {value}")
    return int(value) if integer else float(value)


def resolve_seed(seed) -> int:
    """-1 means a fresh random seed; the seed actually used is returned and shown."""
    seed = number("seed", seed, -1, 2**31 - 1, integer=True)
    return secrets.randbelow(2**31) if seed == -1 else seed


def readable_upload(preprocess, payload):
    """Run a component's own preprocess; an upload it cannot read becomes a clear gr.Error, not a stack trace."""
    try:
        return preprocess(payload)
    except (OSError, ValueError, Image.DecompressionBombError) as err:
        raise gr.Error(
            f"the uploaded file is not a readable image (accepted: {', '.join(UPLOAD_FORMATS)}, "
            f"at most {MAX_UPLOAD_SIDE} pixels a side)"
        ) from err


class ImageInput(gr.ImageEditor):
    """gr.ImageEditor (upload or draw) with readable_upload's errors."""

    is_template = True  # rendered by the ImageEditor front end

    def preprocess(self, payload):
        return readable_upload(super().preprocess, payload)


class MaskInput(gr.ImageMask):
    """gr.ImageMask (an image to draw a mask on) with readable_upload's errors."""

    def get_block_name(self) -> str:
        return "imageeditor"  # gr.ImageMask is itself a template of the ImageEditor front end

    def preprocess(self, payload):
        return readable_upload(super().preprocess, payload)


class ImageUpload(gr.Image):
    """gr.Image with readable_upload's errors."""

    is_template = True  # rendered by the Image front end

    def preprocess(self, payload):
        return readable_upload(super().preprocess, payload)


class CheckedSlider(gr.Slider):
    """gr.Slider whose value reaches the handler as sent: the handler's `number` checks type, NaN/inf and the
    range that applies (which may depend on another input, e.g. the chosen edit), with a message naming the field."""

    is_template = True  # rendered by the Slider front end

    def preprocess(self, payload):
        return payload


class CheckedNumber(gr.Number):
    """gr.Number whose value reaches the handler as sent (gradio's own conversion fails on NaN with no message);
    the handler's `number` checks it."""

    is_template = True  # rendered by the Number front end

    def preprocess(self, payload):
        return payload


EXAMPLE_THUMBS = [(grid(EXAMPLES[i : i + 1], scale=3), f"#{i}") for i in range(len(EXAMPLES))]


def pick_example(evt: gr.SelectData) -> int:
    return evt.index


def example_picker(label: str, value: int = 0) -> gr.Slider:
    """The shipped test examples as a visible gallery; clicking one sets the index (the value the API takes)."""
    with gr.Column(min_width=320):
        index = CheckedSlider(0, len(EXAMPLES) - 1, value=value, step=1, label=f"{label} (# in the example set)")
        gallery = gr.Gallery(
            EXAMPLE_THUMBS,
            columns=10,
            rows=2,
            height=190,
            allow_preview=False,
            show_label=False,
            object_fit="contain",
            label=label,
        )
        gallery.select(pick_example, None, index, api_visibility="private")
    return index


def image_input(label: str) -> ImageInput:
    return ImageInput(
        type="filepath",
        label=label,
        canvas_size=(280, 280),
        brush=gr.Brush(colors=["#000000"], default_color="#000000", default_size=20),
    )


def user_image(editor_value, example_index) -> tuple[torch.Tensor, str]:
    """The image to work on: an upload/drawing if given, else the chosen test example. Returns (1, 1, 28, 28)."""
    index = number("example", example_index, 0, len(EXAMPLES) - 1, integer=True)
    composite = editor_value.get("composite") if isinstance(editor_value, dict) else editor_value
    if composite:
        pil = open_image(composite)
        extrema = pil.convert("L").getextrema()
        if extrema[0] != extrema[1]:  # a blank canvas (one flat colour) is no input
            tensor, note = from_pil(pil)
            return tensor, f"your image ({note})"
        return EXAMPLES[index : index + 1], f"{EXAMPLE_NAMES[index]} (your image was blank)"
    return EXAMPLES[index : index + 1], EXAMPLE_NAMES[index]


_OUTPUTS = tempfile.TemporaryDirectory(prefix="genhub-outputs-")  # removed when the app exits
OUTPUT_TTL_S = 600  # files the app writes for gradio to serve are deleted after this many seconds


def output_file(payload: bytes, suffix: str) -> str:
    """Write bytes to a file of this request's own (a unique name, so concurrent requests never share one) and
    delete such files older than OUTPUT_TTL_S; returns the path for gradio to serve."""
    now = time.time()
    for old in Path(_OUTPUTS.name).iterdir():
        with contextlib.suppress(OSError):
            if now - old.stat().st_mtime > OUTPUT_TTL_S:
                old.unlink()
    path = Path(_OUTPUTS.name) / f"{uuid.uuid4().hex}{suffix}"
    path.write_bytes(payload)
    return str(path)


def show(images: torch.Tensor, ncols: int | None = None, scale: int = SCALE) -> Image.Image:
    return grid(images, ncols=ncols, scale=scale, pad=1 if images.shape[0] > 1 else 0)


@functools.cache
def revision_of(model: str) -> str:
    return weights_revision(CHECKPOINTS_DIR / model)


def recipe(api_name: str, model: str, params: dict, python: str) -> str:
    """Markdown that reproduces an output: model and revision, parameters, the gradio_client call, Python."""
    args = ", ".join(f"{k}={v!r}" for k, v in params.items())
    used = f"model `{model}` (weights sha256 `{revision_of(model)}`)" if model else "no model"
    return (
        f"**Reproduce** — {used}, parameters `{args}`\n\n"
        f"```python\nfrom gradio_client import Client\nClient({SPACE_URL!r}).predict({args}, api_name={api_name!r})\n```\n"
        f"```python\n{python}\n```"
    )
