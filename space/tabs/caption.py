"""The Space's Caption tab: caption to image with the text-conditioned GAN (GAN-INT-CLS, Reed 2016)."""

from __future__ import annotations

import html

import gradio as gr
import torch

from genhub.operations import caption_walk

from ..common import (
    CheckedNumber,
    CheckedSlider,
    first_result,
    get_model,
    handler,
    models_of,
    number,
    on_run,
    recipe,
    resolve_seed,
    show,
)

TEXT_GANS = models_of("genhub_text_gan")
EXAMPLES = [
    "a red dress",
    "crimson boots",
    "a pair of blue trousers",
    "navy pants on a dark background",
    "black ankle boots",
    "a brown bag",
    "a yellow handbag",
    "white sneakers",
    "look at this green dress",
    "a photo of a purple t-shirt",
]


def model_or_error(model: str):
    if model not in TEXT_GANS:
        raise ValueError(f"unknown caption model {model!r}; available: {', '.join(TEXT_GANS)}")
    return get_model(model)


def unknown_note(net, captions: list[str]) -> str:
    unknown = sorted({w for c in captions for w in net.unknown_words(c)})
    colours = sorted({w for c in captions for w in net.unknown_colours(c)})
    note = f" Words the model never saw (ignored): {html.escape(', '.join(unknown))}." if unknown else ""
    if colours:
        known = ", ".join(net.config.colour_words or [])
        note += f" Colours it cannot show: {html.escape(', '.join(colours))} (it knows {known})."
    return note


LESSON = """### Caption to image: a GAN conditioned on text
A text encoder φ(t), trained first as a joint image–text embedding, turns a caption into a vector that conditions
the generator; the discriminator judges the image *and* whether it matches the caption (GAN-CLS), and the
generator also learns from captions mixed half-way (GAN-INT), so it interpolates between captions (Reed 2016).

**What to look at:** the colour and the item should match your words; words the model never saw are listed and
ignored, and so are colours it cannot show. The generator draws a grey shape and the caption sets one colour for
it (a tint), so colours are clean. In the accordion, one z walked from caption A to B, and the same z (columns)
under both captions: z carries the style, the caption the content. Colours: red, orange, yellow, green, cyan,
blue, purple, pink, white, grey, black, brown; items: the 10 Fashion-MNIST classes. Press Enter to generate."""


@handler
def caption_endpoint(model: str, caption: str, num_images: int, seed: int):
    """Generate Fashion-MNIST-style items from a caption (text-conditioned GAN, GAN-INT-CLS).

    Args:
        model: the caption model (fashion-text-gan).
        caption: a short caption such as "a red dress" (at most 200 characters; unknown words are listed).
        num_images: how many images, 1..32.
        seed: seed of z (-1: random, the seed used is returned).
    """
    net = model_or_error(model)
    n, used_seed = number("num_images", num_images, 1, 32, integer=True), resolve_seed(seed)
    images = net.generate([caption], num_images_per_caption=n, generator=torch.Generator().manual_seed(used_seed))
    note = f"Seed used: **{used_seed}**.{unknown_note(net, [caption])}"
    code = (
        f"import genhub, torch\ntxt = genhub.load_model({model!r})\nimages = txt.generate([{caption!r}], "
        f"num_images_per_caption={n}, generator=torch.Generator().manual_seed({used_seed}))"
    )
    params = dict(model=model, caption=caption, num_images=n, seed=used_seed)
    columns = 4 if len(images) in (7, 8) else None  # 8 items as 2 rows of 4, not 3x3 with an empty cell
    return show(images, ncols=columns, scale=4), note, recipe("/caption", model, params, code)


@handler
def caption_walk_endpoint(model: str, caption_a: str, caption_b: str, steps: int, seed: int):
    """Interpolate between two captions with one z (GAN-INT), and the same six z under each caption.

    Args:
        model: the caption model (fashion-text-gan).
        caption_a: the first caption.
        caption_b: the second caption.
        steps: frames of the walk, 2..16.
        seed: seed of z (-1: random, the seed used is returned).
    """
    net = model_or_error(model)
    steps, used_seed = number("steps", steps, 2, 16, integer=True), resolve_seed(seed)
    out = caption_walk(net, caption_a, caption_b, steps, generator=torch.Generator().manual_seed(used_seed))
    note = f"Seed used: **{used_seed}**.{unknown_note(net, [caption_a, caption_b])}"
    params = dict(model=model, caption_a=caption_a, caption_b=caption_b, steps=steps, seed=used_seed)
    code = (
        f"import genhub, torch\nfrom genhub.operations import caption_walk\ntxt = genhub.load_model({model!r})\n"
        f"out = caption_walk(txt, {caption_a!r}, {caption_b!r}, {steps}, "
        f"generator=torch.Generator().manual_seed({used_seed}))  # out.images, out.same_z"
    )
    return (
        show(out.images, ncols=steps, scale=4),
        show(out.same_z, ncols=6, scale=4),
        note,
        recipe("/caption_walk", model, params, code),
    )


def create_tab():
    with gr.Tab("Caption to image"):
        gr.Markdown(LESSON)
        model = gr.Dropdown(TEXT_GANS, value=TEXT_GANS[0] if TEXT_GANS else None, label="model")
        with gr.Row():
            caption = gr.Textbox("a red dress", label="caption", max_lines=1)
            num = CheckedSlider(1, 32, value=8, step=1, label="number of images")
            seed = CheckedNumber(0, precision=0, label="seed (−1 = random)")
        gr.Examples(EXAMPLES, [caption])
        go = gr.Button("Generate", variant="primary")
        first = first_result(caption_endpoint, TEXT_GANS[0], "a red dress", 8, 0) if TEXT_GANS else (None,) * 3
        out = gr.Image(first[0], label="images", format="png", type="pil")
        note, how = gr.Markdown(first[1]), gr.Markdown(first[2])
        on_run(
            lambda *args, **kwargs: gr.on([go.click, caption.submit], *args, **kwargs),
            caption_endpoint,
            [model, caption, num, seed],
            [out, note, how],
            api_name="caption",
        )
        with gr.Accordion("Interpolate between two captions; same z, different captions", open=False):
            with gr.Row():
                a = gr.Textbox("a red dress", label="caption A", max_lines=1)
                b = gr.Textbox("a blue coat", label="caption B", max_lines=1)
                steps = CheckedSlider(2, 16, value=9, step=1, label="steps")
            walk_go = gr.Button("Interpolate")
            walk = gr.Image(label="from A to B (same z)", format="png", type="pil")
            grid = gr.Image(label="style vs content: columns share z, rows share the caption", format="png", type="pil")
            walk_note, walk_how = gr.Markdown(), gr.Markdown()
            on_run(
                walk_go.click,
                caption_walk_endpoint,
                [model, a, b, steps, seed],
                [walk, grid, walk_note, walk_how],
                api_name="caption_walk",
            )
