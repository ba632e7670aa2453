"""genhub: the Space. One tab per operation, each also a named API endpoint (see README.md).

Run: `python app.py` (serves on 0.0.0.0:7860, or $GRADIO_SERVER_PORT).
"""

from __future__ import annotations

import functools
import html
import json
import logging
import math
import secrets
from pathlib import Path

import gradio as gr
import matplotlib
import numpy as np
import torch
from PIL import Image

import genhub
from genhub.hub import weights_revision
from genhub.images import MAX_UPLOAD_SIDE, UPLOAD_FORMATS, from_pil, grid, open_image
from genhub.models import CHECKPOINTS_DIR, VAE, Autoencoder
from genhub.operations import interpolate, latent_traversal, reconstruct, sample

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

log = logging.getLogger("genhub.app")
ASSETS = Path(__file__).resolve().parent / "assets"
SPACE_URL = "http://127.0.0.1:7860/"  # where the app runs locally; on the Hub, the Space id
SCALE = 8  # 28x28 images are shown 8x larger, nearest neighbour
NOISE_TYPES = ["none", "gaussian", "masking", "salt_and_pepper"]


# ---- shared helpers: models, inputs, errors, reproduction recipes ----------------------------------

def discover_models() -> dict[str, str]:
    """Shipped checkpoint name -> model_type, from checkpoints/*/config.json."""
    found = {}
    for config in sorted(CHECKPOINTS_DIR.glob("*/config.json")):
        found[config.parent.name] = json.loads(config.read_text()).get("model_type", "")
    return found


MODELS = discover_models()
AUTOENCODERS = [n for n, t in MODELS.items() if t in ("genhub_autoencoder", "genhub_vae")]
VAES = [n for n, t in MODELS.items() if t == "genhub_vae"]


@functools.lru_cache(maxsize=None)
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
    names = [f"#{i} test {idx}: {meta['classes'][lab]}" for i, (idx, lab) in
             enumerate(zip(meta["test_indices"], meta["labels"]))]
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


class ImageInput(gr.ImageEditor):
    """gr.ImageEditor (upload or draw) whose unreadable uploads become a clear gr.Error, not a stack trace."""

    is_template = True  # rendered by the ImageEditor front end

    def preprocess(self, payload):
        try:
            return super().preprocess(payload)
        except (OSError, ValueError, Image.DecompressionBombError) as err:
            raise gr.Error(f"the uploaded file is not a readable image (accepted: {', '.join(UPLOAD_FORMATS)}, "
                           f"at most {MAX_UPLOAD_SIDE} pixels a side)") from err


def image_input(label: str) -> ImageInput:
    return ImageInput(type="filepath", label=label, canvas_size=(280, 280),
                      brush=gr.Brush(colors=["#000000"], default_color="#000000", default_size=20))


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
        return EXAMPLES[index:index + 1], f"{EXAMPLE_NAMES[index]} (your image was blank)"
    return EXAMPLES[index:index + 1], EXAMPLE_NAMES[index]


def show(images: torch.Tensor, ncols: int | None = None, scale: int = SCALE) -> Image.Image:
    return grid(images, ncols=ncols, scale=scale, pad=1 if images.shape[0] > 1 else 0)


def recipe(api_name: str, model: str, params: dict, python: str) -> str:
    """Markdown that reproduces an output: model and revision, parameters, the gradio_client call, Python."""
    revision = weights_revision(CHECKPOINTS_DIR / model)
    args = ", ".join(f"{k}={v!r}" for k, v in params.items())
    return (f"**Reproduce** — model `{model}` (weights sha256 `{revision}`), parameters `{args}`\n\n"
            f"```python\nfrom gradio_client import Client\nClient({SPACE_URL!r}).predict({args}, api_name={api_name!r})\n```\n"
            f"```python\n{python}\n```")


# ---- tab: the autoencoder family --------------------------------------------------------------------

@handler
def reconstruct_endpoint(model: str, example: int, image, noise_type: str, noise_level: float, seed: int):
    net = get_model(model)
    if noise_type not in NOISE_TYPES:
        raise ValueError(f"noise_type must be one of {NOISE_TYPES}, got {noise_type!r}")
    level = number("noise_level", noise_level, 0.0, 1.0)
    used_seed = resolve_seed(seed)
    x, source = user_image(image, example)
    out = reconstruct(net, x, noise_type, level, torch.Generator().manual_seed(used_seed))
    kind = "BCE" if net.config.reconstruction_loss == "bce" else "½‖x − x̂‖²"
    info = (f"Input: {html.escape(source)}. Reconstruction error vs the clean input: **{out['loss'][0]:.1f}** "
            f"({kind}, nats/image), PSNR **{out['psnr'][0]:.2f} dB**. Seed used: **{used_seed}**.")
    params = dict(model=model, example=example, noise_type=noise_type, noise_level=level, seed=used_seed)
    code = (f"import genhub, torch\nfrom genhub.operations import reconstruct\nm = genhub.load_model({model!r})\n"
            f"out = reconstruct(m, images, {noise_type!r}, {level}, torch.Generator().manual_seed({used_seed}))")
    return show(x), show(out["corrupted"]), show(out["reconstruction"]), info, recipe("/reconstruct", model, params, code)


def create_autoencoder_tab():
    with gr.Tab("Autoencoders"):
        gr.Markdown("h = f(W_h x̃ + b_h), x̂ = g(W_x h + b_x): pick a model, a test image or your own "
                    "(upload, or draw dark strokes on the light canvas; a light background is inverted to match the data), corrupt it with x̃ ~ p(x̃ | x), and compare.")
        with gr.Row():
            with gr.Column():
                model = gr.Dropdown(AUTOENCODERS, value="fashion-dae" if "fashion-dae" in AUTOENCODERS else AUTOENCODERS[0], label="model")
                example = gr.Slider(0, len(EXAMPLES) - 1, value=0, step=1, label="test image (# in the example set)")
                image = image_input("or your own image (upload, or draw dark on light)")
                noise = gr.Radio(NOISE_TYPES, value="gaussian", label="noise p(x̃ | x)")
                level = gr.Slider(0, 1, value=0.5, step=0.05, label="noise level (std or fraction of pixels)")
                seed = gr.Number(0, precision=0, label="seed (−1 = random)")
                run = gr.Button("Reconstruct", variant="primary")
            with gr.Column():
                with gr.Row():
                    outs = [gr.Image(label=l, format="png", type="pil") for l in ("input x", "corrupted x̃", "reconstruction x̂")]
                info, how = gr.Markdown(), gr.Markdown()
        run.click(reconstruct_endpoint, [model, example, image, noise, level, seed], [*outs, info, how],
                  api_name="reconstruct")


# ---- tab: the variational autoencoder ---------------------------------------------------------------

@handler
def vae_sample_endpoint(model: str, num_images: int, seed: int):
    net = get_model(model)
    if not isinstance(net, VAE):
        raise ValueError(f"{model} is not a VAE")
    n = number("num_images", num_images, 1, 64, integer=True)
    used_seed = resolve_seed(seed)
    images = sample(net, n, generator=torch.Generator().manual_seed(used_seed))
    code = (f"import genhub, torch\nvae = genhub.load_model({model!r})\n"
            f"images = vae.generate({n}, generator=torch.Generator().manual_seed({used_seed}))")
    params = dict(model=model, num_images=n, seed=used_seed)
    return show(images, scale=4), f"Seed used: **{used_seed}**", recipe("/vae_sample", model, params, code)


def moments_plot(mean: torch.Tensor, logvar: torch.Tensor) -> Image.Image:
    std = (0.5 * logvar).exp()
    fig, ax = plt.subplots(figsize=(6, 2.6), dpi=100)
    dims = np.arange(len(mean))
    ax.bar(dims, mean.numpy(), yerr=std.numpy(), color="#4c72b0", ecolor="#dd8452", capsize=3)
    ax.axhline(0, color="gray", lw=0.8)
    ax.set(xlabel="latent dimension i", ylabel="E(z)_i ± sqrt(V(z)_i)", xticks=dims)
    fig.tight_layout()
    fig.canvas.draw()
    image = Image.fromarray(np.asarray(fig.canvas.buffer_rgba())).convert("RGB")
    plt.close(fig)
    return image


@handler
def vae_encode_endpoint(model: str, example: int, image):
    net = get_model(model)
    if not isinstance(net, VAE):
        raise ValueError(f"{model} is not a VAE")
    x, source = user_image(image, example)
    with torch.no_grad():
        mean, logvar = net.encode(x)
        x_hat = net.decode(mean)
    rows = "\n".join(f"| {i} | {m:+.3f} | {v:.4f} |" for i, (m, v) in enumerate(zip(mean[0], logvar[0].exp())))
    table = f"Input: {html.escape(source)}\n\n| i | E(z)_i | V(z)_i |\n|---|---|---|\n{rows}"
    return show(x), show(x_hat), moments_plot(mean[0], logvar[0]), table


@handler
def vae_traverse_endpoint(model: str, example: int, image, dim_row: int, dim_col: int, span: float, steps: int):
    net = get_model(model)
    if not isinstance(net, VAE):
        raise ValueError(f"{model} is not a VAE")
    d = net.config.latent_dim
    p, q = number("dim_row", dim_row, 0, d - 1, True), number("dim_col", dim_col, 0, d - 1, True)
    span, steps = number("span", span, 0.1, 6), number("steps", steps, 2, 11, True)
    x, source = user_image(image, example)
    images = latent_traversal(net, x, (p, q), span, steps)
    params = dict(model=model, example=example, dim_row=p, dim_col=q, span=span, steps=steps)
    code = (f"import genhub\nfrom genhub.operations import latent_traversal\nvae = genhub.load_model({model!r})\n"
            f"grid = latent_traversal(vae, images, dims=({p}, {q}), span={span}, steps={steps})")
    note = f"Around E(z) of {html.escape(source)}: rows move z_{p}, columns z_{q}, from −{span} to +{span}."
    return show(images, ncols=steps, scale=3), note, recipe("/vae_traverse", model, params, code)


@handler
def vae_interpolate_endpoint(model: str, example_a: int, example_b: int, image_a, image_b, steps: int):
    net = get_model(model)
    if not isinstance(net, VAE):
        raise ValueError(f"{model} is not a VAE")
    steps = number("steps", steps, 2, 16, integer=True)
    (xa, src_a), (xb, src_b) = user_image(image_a, example_a), user_image(image_b, example_b)
    out = interpolate(net, xa, xb, steps)
    params = dict(model=model, example_a=example_a, example_b=example_b, steps=steps)
    code = (f"import genhub\nfrom genhub.operations import interpolate\nvae = genhub.load_model({model!r})\n"
            f"out = interpolate(vae, image_a, image_b, steps={steps})  # out['latent'], out['pixel']")
    note = f"From {html.escape(src_a)} to {html.escape(src_b)}."
    return (show(out["latent"], ncols=steps, scale=4), show(out["pixel"], ncols=steps, scale=4), note,
            recipe("/vae_interpolate", model, params, code))


def create_vae_tab():
    with gr.Tab("VAE"):
        gr.Markdown("Encoder x ↦ (E(z), log V(z)), z = E + √V·ε, decoder z ↦ x̂; "
                    "loss = reconstruction + β/2 Σᵢ (V − log V − 1 + E²)ᵢ.")
        model = gr.Dropdown(VAES, value="fashion-vae" if "fashion-vae" in VAES else VAES[0], label="model")
        with gr.Tab("Sample z ~ N(0, I)"):
            with gr.Row():
                n = gr.Slider(1, 64, value=16, step=1, label="number of images")
                seed = gr.Number(0, precision=0, label="seed (−1 = random)")
                go = gr.Button("Sample", variant="primary")
            out, used, how = gr.Image(label="samples", format="png", type="pil"), gr.Markdown(), gr.Markdown()
            go.click(vae_sample_endpoint, [model, n, seed], [out, used, how], api_name="vae_sample")
        with gr.Tab("Encode"):
            with gr.Row():
                example = gr.Slider(0, len(EXAMPLES) - 1, value=0, step=1, label="test image")
                image = image_input("or your own image")
            go = gr.Button("Encode", variant="primary")
            with gr.Row():
                x_in, x_hat = gr.Image(label="input", format="png", type="pil"), gr.Image(label="Dec(E(z))", format="png", type="pil")
                plot = gr.Image(label="latent means and standard deviations", format="png", type="pil")
            table = gr.Markdown()
            go.click(vae_encode_endpoint, [model, example, image], [x_in, x_hat, plot, table], api_name="vae_encode")
        with gr.Tab("Traverse two latent dimensions"):
            with gr.Row():
                example_t = gr.Slider(0, len(EXAMPLES) - 1, value=0, step=1, label="test image")
                image_t = image_input("or your own image")
            with gr.Row():
                p, q = gr.Number(0, precision=0, label="row dimension"), gr.Number(1, precision=0, label="column dimension")
                span = gr.Slider(0.1, 6, value=3, step=0.1, label="span (±)")
                steps = gr.Slider(2, 11, value=7, step=1, label="steps")
            go = gr.Button("Traverse", variant="primary")
            out_t, note_t, how_t = gr.Image(label="traversal", format="png", type="pil"), gr.Markdown(), gr.Markdown()
            go.click(vae_traverse_endpoint, [model, example_t, image_t, p, q, span, steps], [out_t, note_t, how_t],
                     api_name="vae_traverse")
        with gr.Tab("Interpolate: latent vs pixel"):
            with gr.Row():
                ea = gr.Slider(0, len(EXAMPLES) - 1, value=0, step=1, label="image A (test #)")
                eb = gr.Slider(0, len(EXAMPLES) - 1, value=90, step=1, label="image B (test #)")
                steps_i = gr.Slider(2, 16, value=9, step=1, label="steps")
            with gr.Row():
                ia = image_input("or your own A")
                ib = image_input("or your own B")
            go = gr.Button("Interpolate", variant="primary")
            lat = gr.Image(label="in latent space: Dec((1 − t) E(z_A) + t E(z_B))", format="png", type="pil")
            pix = gr.Image(label="in pixel space: (1 − t) x_A + t x_B", format="png", type="pil")
            note_i, how_i = gr.Markdown(), gr.Markdown()
            go.click(vae_interpolate_endpoint, [model, ea, eb, ia, ib, steps_i], [lat, pix, note_i, how_i],
                     api_name="vae_interpolate")


# ---- the Space ------------------------------------------------------------------------------------------

with gr.Blocks(title="genhub") as demo:
    gr.Markdown("# genhub — generative models of the self-/un-supervised learning lecture\n"
                "Every tab is also an API endpoint: see the *Use via API* link below and README.md.")
    create_autoencoder_tab()
    create_vae_tab()
demo.queue(default_concurrency_limit=2, max_size=32)

if __name__ == "__main__":
    demo.launch(server_name="0.0.0.0", max_file_size="10mb", allowed_paths=[], ssr_mode=False)
