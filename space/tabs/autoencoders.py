"""The Space's tab for the autoencoder family: corrupt, encode, decode, compare."""

from __future__ import annotations

import html

import gradio as gr
import torch

from genhub.operations import reconstruct

from ..common import (
    CheckedNumber,
    CheckedSlider,
    editor_expr,
    example_picker,
    get_model,
    handler,
    image_input,
    input_code,
    models_of,
    number,
    on_run,
    recipe,
    resolve_seed,
    show,
    user_image,
)

NOISE_TYPES = ["none", "gaussian", "masking", "salt_and_pepper"]
AUTOENCODERS = models_of("genhub_autoencoder", "genhub_vae")


LESSON = """### Autoencoders: squeeze, then rebuild
An autoencoder encodes an image x into a code h = f(W_h x̃ + b_h) and decodes it back, x̂ = g(W_x h + b_x), trained
to make x̂ close to x (BCE for these 0–1 pixels). **Under-complete** (h smaller than x) it must keep what matters;
**over-complete** it could copy, unless something stops it: noise on the input (**denoising**: rebuild x from a
corrupted x̃) or a penalty on how much h moves with x (**contractive**). Tied models reuse Wᵀ to decode.

**What to look at:** input, corrupted input and reconstruction side by side, with the error. Try the gaussian
noise on the denoising model and on a plain over-complete one: the denoising model cleans it, the plain one copies
the noise. Pick a test image from the gallery, or upload or draw your own (dark strokes on the light canvas; a
light background is inverted to match the data)."""


@handler
def reconstruct_endpoint(model: str, example: int, image, noise_type: str, noise_level: float, seed: int):
    """Encode and decode one image with an autoencoder: input, corrupted input and reconstruction, with the error.

    Args:
        model: an autoencoder or VAE checkpoint (fashion-ae-under, fashion-dae, ...).
        example: index 0..99 of a shipped Fashion-MNIST test image, used when no image is given.
        image: your own image (an image-editor value), or null.
        noise_type: corruption before encoding: none, gaussian, masking or salt_and_pepper.
        noise_level: strength of the corruption, 0..1.
        seed: seed of the corruption (-1: random, the seed used is returned).
    """
    net = get_model(model)
    if noise_type not in NOISE_TYPES:
        raise ValueError(f"noise_type must be one of {NOISE_TYPES}, got {noise_type!r}")
    level = number("noise_level", noise_level, 0.0, 1.0)
    used_seed = resolve_seed(seed)
    x, source = user_image(image, example)
    out = reconstruct(net, x, noise_type, level, torch.Generator().manual_seed(used_seed))
    kind = "BCE" if net.config.reconstruction_loss == "bce" else "½‖x − x̂‖²"
    info = (
        f"Input: {html.escape(source)}. Reconstruction error vs the clean input: **{out['loss'][0]:.1f}** "
        f"({kind}, nats/image), PSNR **{out['psnr'][0]:.2f} dB**. Seed used: **{used_seed}**."
    )
    uploaded = source.startswith("your image")
    params = dict(
        model=model,
        example=int(example),
        image=editor_expr() if uploaded else None,
        noise_type=noise_type,
        noise_level=level,
        seed=used_seed,
    )
    code = (
        f"import genhub, torch\n{input_code(source, example)}\nfrom genhub.operations import reconstruct\n"
        f"m = genhub.load_model({model!r})\n"
        f"out = reconstruct(m, images, {noise_type!r}, {level}, torch.Generator().manual_seed({used_seed}))"
    )
    return (
        show(x),
        show(out["corrupted"]),
        show(out["reconstruction"]),
        info,
        recipe("/reconstruct", model, params, code),
    )


def create_tab():
    with gr.Tab("Autoencoders"):
        gr.Markdown(LESSON)
        with gr.Row():
            with gr.Column():
                model = gr.Dropdown(
                    AUTOENCODERS,
                    value="fashion-dae" if "fashion-dae" in AUTOENCODERS else (AUTOENCODERS or [None])[0],
                    label="model",
                )
                example = example_picker("test image", 0)
                image = image_input("or your own image (upload, or draw dark on light)")
                noise = gr.Radio(NOISE_TYPES, value="gaussian", label="noise p(x̃ | x)")
                level = CheckedSlider(0, 1, value=0.5, step=0.05, label="noise level (std or fraction of pixels)")
                seed = CheckedNumber(0, precision=0, label="seed (−1 = random)")
                run = gr.Button("Reconstruct", variant="primary")
            with gr.Column():
                with gr.Row():
                    outs = [
                        gr.Image(label=l, format="png", type="pil")
                        for l in ("input x", "corrupted x̃", "reconstruction x̂")
                    ]
                info, how = gr.Markdown(), gr.Markdown()
        on_run(
            run.click,
            reconstruct_endpoint,
            [model, example, image, noise, level, seed],
            [*outs, info, how],
            api_name="reconstruct",
        )
