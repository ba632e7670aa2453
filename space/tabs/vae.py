"""The Space's tab for the variational autoencoder: sample, encode, traverse, interpolate."""

from __future__ import annotations

import html

import gradio as gr
import numpy as np
import torch
from PIL import Image

from genhub.images import figure_png, new_figure
from genhub.models import require
from genhub.operations import interpolate, latent_traversal, sample

from ..common import (
    VAES,
    CheckedNumber,
    CheckedSlider,
    editor_expr,
    example_picker,
    first_result,
    get_model,
    handler,
    image_input,
    input_code,
    number,
    on_run,
    output_file,
    recipe,
    resolve_seed,
    show,
    user_image,
)

DEFAULT_VAE = (VAES or ["fashion-vae"])[0]  # the lowest measured sample FID (the two-stage VAE when shipped)
LESSON = """### The variational autoencoder: an autoencoder whose code is a distribution
The encoder maps an image x to a Gaussian over codes, mean E(z) and variance V(z); a code z = E + √V·ε is
drawn from it and the decoder turns z back into an image x̂. Training adds, to the reconstruction error, β times
the KL divergence of that Gaussian from N(0, I): it pulls every code towards the same standard normal, so that
**z ~ N(0, I) decodes to a plausible item**, which a plain autoencoder does not promise.

**What to look at:** samples from N(0, I); how few latent dimensions an input really uses (Encode: means far from
0 and variances below 1 are the active ones); what moving along one dimension does (Traverse); and a walk in
latent space beside the cross-fade of pixels (Interpolate). β = 4 trades sharpness for fewer, tidier dimensions.
The two-stage VAE (the default) goes the other way: β = 0.1 keeps sharp codes, which no longer fill N(0, I),
so a second small VAE learns where they lie and samples are drawn through it (Dai & Wipf 2019).

Loss (lecture): ℓ(x, x̂) + β/2 Σᵢ (Vᵢ − log Vᵢ − 1 + Eᵢ²)."""


@handler
def vae_sample_endpoint(model: str, num_images: int, seed: int):
    """Decode z ~ N(0, I) with a VAE: a grid of samples.

    Args:
        model: a VAE checkpoint (fashion-vae-2stage, fashion-vae, fashion-beta-vae).
        num_images: how many, 1..64.
        seed: seed of z (-1: random, the seed used is returned).
    """
    net = get_model(model)
    require(net, "latent_space", f"{model!r}: this endpoint")
    n = number("num_images", num_images, 1, 64, integer=True)
    used_seed = resolve_seed(seed)
    images = sample(net, n, generator=torch.Generator().manual_seed(used_seed))
    code = (
        f"import genhub, torch\nvae = genhub.load_model({model!r})\n"
        f"images = vae.generate({n}, generator=torch.Generator().manual_seed({used_seed}))"
    )
    params = dict(model=model, num_images=n, seed=used_seed)
    return show(images, scale=4), f"Seed used: **{used_seed}**", recipe("/vae_sample", model, params, code)


def moments_plot(mean: torch.Tensor, logvar: torch.Tensor) -> Image.Image:
    std = (0.5 * logvar).exp()
    fig, ax = new_figure(figsize=(12, 3.6), dpi=100)
    dims = np.arange(len(mean))
    ax.bar(dims, mean.numpy(), yerr=std.numpy(), color="#4c72b0", ecolor="#dd8452", capsize=3)
    ax.axhline(0, color="gray", lw=0.8)
    ax.set(xlabel="latent dimension i", ylabel="E(z)_i ± sqrt(V(z)_i)", xticks=dims[:: max(1, len(dims) // 32)])
    ax.set_title("active dimensions: means far from 0, variances below 1", fontsize=10)
    return output_file(figure_png(fig, top=0.88), ".png")


@handler
def vae_encode_endpoint(model: str, example: int, image):
    """Encode an image: its reconstruction Dec(E(z)) and the latent means and standard deviations (plot and table).

    Args:
        model: a VAE checkpoint.
        example: index 0..99 of a shipped test image, used when no image is given.
        image: your own image (an image-editor value), or null.
    """
    net = get_model(model)
    require(net, "latent_space", f"{model!r}: this endpoint")
    x, source = user_image(image, example)
    with torch.no_grad():
        mean, logvar = net.encode(x)
        x_hat = net.decode(mean)
    rows = "\n".join(f"| {i} | {m:+.3f} | {v:.4f} |" for i, (m, v) in enumerate(zip(mean[0], logvar[0].exp())))
    table = f"Input: {html.escape(source)}\n\n| i | E(z)_i | V(z)_i |\n|---|---|---|\n{rows}"
    code = (
        f"import genhub\n{input_code(source, example)}\nvae = genhub.load_model({model!r})\n"
        f"mean, logvar = vae.encode(images)  # (N, {net.config.latent_dim}) each; V(z) = logvar.exp()"
    )
    image_arg = editor_expr() if source.startswith("your image") else None
    how = recipe("/vae_encode", model, dict(model=model, example=int(example), image=image_arg), code)
    return show(x), show(x_hat), moments_plot(mean[0], logvar[0]), table + "\n\n" + how


@handler
def vae_traverse_endpoint(model: str, example: int, image, dim_row: int, dim_col: int, span: float, steps: int):
    """Traverse two latent dimensions around E(z) of an image: a grid of decodings.

    Args:
        model: a VAE checkpoint.
        example: index 0..99 of a shipped test image, used when no image is given.
        image: your own image (an image-editor value), or null.
        dim_row: the latent dimension along the rows.
        dim_col: the latent dimension along the columns.
        span: offsets from -span to +span, 0.1..6.
        steps: steps per axis, 2..11.
    """
    net = get_model(model)
    require(net, "latent_space", f"{model!r}: this endpoint")
    d = net.config.latent_dim
    p, q = number("dim_row", dim_row, 0, d - 1, True), number("dim_col", dim_col, 0, d - 1, True)
    span, steps = number("span", span, 0.1, 6), number("steps", steps, 2, 11, True)
    x, source = user_image(image, example)
    images = latent_traversal(net, x, (p, q), span, steps)
    image_arg = editor_expr() if source.startswith("your image") else None
    params = dict(model=model, example=int(example), image=image_arg, dim_row=p, dim_col=q, span=span, steps=steps)
    code = (
        f"import genhub\n{input_code(source, example)}\nfrom genhub.operations import latent_traversal\n"
        f"vae = genhub.load_model({model!r})\n"
        f"grid = latent_traversal(vae, images, dims=({p}, {q}), span={span}, steps={steps})"
    )
    note = f"Around E(z) of {html.escape(source)}: rows move z_{p}, columns z_{q}, from −{span} to +{span}."
    return show(images, ncols=steps, scale=3), note, recipe("/vae_traverse", model, params, code)


@handler
def vae_interpolate_endpoint(model: str, example_a: int, example_b: int, image_a, image_b, steps: int):
    """Interpolate between two images in latent space, beside the cross-fade of their pixels.

    Args:
        model: a VAE checkpoint.
        example_a: index of the first test image (used when image_a is null).
        example_b: index of the second test image (used when image_b is null).
        image_a: your first image, or null.
        image_b: your second image, or null.
        steps: frames, 2..16.
    """
    net = get_model(model)
    require(net, "latent_space", f"{model!r}: this endpoint")
    steps = number("steps", steps, 2, 16, integer=True)
    (xa, src_a), (xb, src_b) = user_image(image_a, example_a), user_image(image_b, example_b)
    out = interpolate(net, xa, xb, steps)
    arg_a = editor_expr("your_image_a.png") if src_a.startswith("your image") else None
    arg_b = editor_expr("your_image_b.png") if src_b.startswith("your image") else None
    params = dict(
        model=model, example_a=int(example_a), example_b=int(example_b), image_a=arg_a, image_b=arg_b, steps=steps
    )
    load_a = input_code(src_a, example_a, "image_a", "your_image_a.png")
    load_b = input_code(src_b, example_b, "image_b", "your_image_b.png")
    code = (
        f"import genhub\n{load_a}\n{load_b}\nfrom genhub.operations import interpolate\n"
        f"vae = genhub.load_model({model!r})\n"
        f"out = interpolate(vae, image_a, image_b, steps={steps})  # out.images (latent walk), out.pixel"
    )
    note = f"From {html.escape(src_a)} to {html.escape(src_b)}."
    return (
        show(out["latent"], ncols=steps, scale=4),
        show(out["pixel"], ncols=steps, scale=4),
        note,
        recipe("/vae_interpolate", model, params, code),
    )


def _sample_tab(model):
    with gr.Tab("Sample z ~ N(0, I)"):
        with gr.Row():
            n = CheckedSlider(1, 64, value=16, step=1, label="number of images")
            seed = CheckedNumber(0, precision=0, label="seed (−1 = random)")
            go = gr.Button("Sample", variant="primary")
        first = first_result(vae_sample_endpoint, DEFAULT_VAE, 16, 0) if VAES else (None,) * 3
        out = gr.Image(first[0], label="VAE samples", format="png", type="pil")
        used, how = gr.Markdown(first[1]), gr.Markdown(first[2])
        on_run(go.click, vae_sample_endpoint, [model, n, seed], [out, used, how], api_name="vae_sample")


def _encode_tab(model):
    with gr.Tab("Encode"):
        with gr.Row():
            example = example_picker("test image", 0)
            image = image_input("or your own image")
        go = gr.Button("Encode", variant="primary")
        with gr.Row():
            x_in, x_hat = (
                gr.Image(label="input", format="png", type="pil", height=240),
                gr.Image(label="Dec(E(z))", format="png", type="pil", height=240),
            )
        plot = gr.Image(label="latent means and standard deviations", format="png", type="pil")  # full width
        table = gr.Markdown()
        on_run(
            go.click, vae_encode_endpoint, [model, example, image], [x_in, x_hat, plot, table], api_name="vae_encode"
        )


def _traverse_tab(model):
    with gr.Tab("Traverse two latent dimensions"):
        with gr.Row():
            example_t = example_picker("test image", 0)
            image_t = image_input("or your own image")
        with gr.Row():
            p, q = (
                CheckedNumber(0, precision=0, label="row dimension"),
                CheckedNumber(1, precision=0, label="column dimension"),
            )
            span = CheckedSlider(0.1, 6, value=3, step=0.1, label="span (±)")
            steps = CheckedSlider(2, 11, value=7, step=1, label="steps")
        go = gr.Button("Traverse", variant="primary")
        out_t, note_t, how_t = gr.Image(label="traversal", format="png", type="pil"), gr.Markdown(), gr.Markdown()
        on_run(
            go.click,
            vae_traverse_endpoint,
            [model, example_t, image_t, p, q, span, steps],
            [out_t, note_t, how_t],
            api_name="vae_traverse",
        )


def _interpolate_tab(model):
    with gr.Tab("Interpolate: latent vs pixel"):
        with gr.Row():
            ea = example_picker("image A (test #)", 0)
            eb = example_picker("image B (test #)", 90)
            steps_i = CheckedSlider(2, 16, value=9, step=1, label="steps")
        with gr.Row():
            ia = image_input("or your own A")
            ib = image_input("or your own B")
        go = gr.Button("Interpolate", variant="primary")
        lat = gr.Image(label="in latent space: Dec((1 − t) E(z_A) + t E(z_B))", format="png", type="pil")
        pix = gr.Image(label="in pixel space: (1 − t) x_A + t x_B", format="png", type="pil")
        note_i, how_i = gr.Markdown(), gr.Markdown()
        on_run(
            go.click,
            vae_interpolate_endpoint,
            [model, ea, eb, ia, ib, steps_i],
            [lat, pix, note_i, how_i],
            api_name="vae_interpolate",
        )


def create_tab():
    with gr.Tab("VAE"):
        gr.Markdown(LESSON)
        model = gr.Dropdown(VAES, value=DEFAULT_VAE if VAES else None, label="model")
        _sample_tab(model)
        _encode_tab(model)
        _traverse_tab(model)
        _interpolate_tab(model)
