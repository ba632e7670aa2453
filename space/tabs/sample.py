"""The Space's Sample tab: class-conditional GAN samples with truncation, seed walks, training diagnostics."""

from __future__ import annotations

import gradio as gr
import torch

from genhub.operations import interpolate_seeds, sample

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
    resolve_seed,
    show,
    test_figures,
)

LESSON = """### Sampling a GAN: a generator and a critic trained against each other
The generator G turns a random code z (and a class y) into an image; the critic C scores how real an image looks.
In the lecture's **energy-based GAN** the critic is an autoencoder: its reconstruction error is the energy, low
on real items, pushed above a margin m on generated ones; G learns to make items with low energy. The baseline is
the usual non-saturating GAN with the same generator.

**What to look at:** each image is one draw of z; the same seed gives the same images. Lower the truncation to
stay near the centre of z's distribution: cleaner, more typical items, less variety. The seed walk moves z in a
straight line: a smooth morph means the generator has learned a continuous space, not a lookup table. The
diagnostics show the lecture's three pitfalls as measured during training.

G(z, y), z = truncation · N(0, 1) cut to ±2; the default model has the lowest measured classifier-FID."""


@handler
def sample_endpoint(model: str, class_name: str, truncation: float, seed: int, num_images: int):
    """Sample a class-conditional GAN: a grid of generated Fashion-MNIST items.

    Args:
        model: the generator (fashion-ebgan, fashion-dcgan).
        class_name: a Fashion-MNIST class, or "any" for random classes.
        truncation: z = truncation * N(0, 1) cut to +-2, in 0.05..1 (lower: more typical, less varied).
        seed: seed of z (-1: random, the seed used is returned).
        num_images: how many images, 1..64.
    """
    net = get_model(model)
    label = checked_class(class_name)
    trunc = number("truncation", truncation, 0.05, 1.0)
    n = number("num_images", num_images, 1, 64, integer=True)
    used_seed = resolve_seed(seed)
    images = sample(net, n, class_labels=label, truncation=trunc, generator=torch.Generator().manual_seed(used_seed))
    labels = "" if label is None else f", class_labels={label!r}"
    code = (
        f"import genhub, torch\ngan = genhub.load_model({model!r})\n"
        f"images = gan.generate({n}{labels}, truncation={trunc}, generator=torch.Generator().manual_seed({used_seed}))"
    )
    params = dict(model=model, class_name=class_name, truncation=trunc, seed=used_seed, num_images=n)
    info = f"Seed used: **{used_seed}** · class: {class_name} · truncation {trunc} (|z| ≤ {2 * trunc:.2f})"
    return show(images, scale=4), info, recipe("/sample", model, params, code)


@handler
def interpolate_seeds_endpoint(model: str, class_name: str, seed_a: int, seed_b: int, steps: int, truncation: float):
    """Walk in a straight line between the latent codes of two seeds.

    Args:
        model: the generator (fashion-ebgan, fashion-dcgan).
        class_name: the class of the items ("any" uses the first class).
        seed_a: seed of the first code.
        seed_b: seed of the second code.
        steps: frames, 2..16.
        truncation: in 0.05..1.
    """
    net = get_model(model)
    label = checked_class(class_name) or CLASSES[0]
    a, b = (number(n, v, 0, 2**31 - 1, integer=True) for n, v in (("seed_a", seed_a), ("seed_b", seed_b)))
    steps, trunc = number("steps", steps, 2, 16, integer=True), number("truncation", truncation, 0.05, 1.0)
    strip = interpolate_seeds(net, a, b, steps, class_label=label, truncation=trunc)
    code = (
        f"import genhub\nfrom genhub.operations import interpolate_seeds\ngan = genhub.load_model({model!r})\n"
        f"strip = interpolate_seeds(gan, {a}, {b}, steps={steps}, class_label={label!r}, truncation={trunc})"
    )
    params = dict(model=model, class_name=class_name, seed_a=a, seed_b=b, steps=steps, truncation=trunc)
    return show(strip, ncols=steps, scale=4), recipe("/interpolate_seeds", model, params, code)


@handler
def diagnostics_endpoint(model: str):
    """The GAN's training diagnostics (losses, generator gradient norm, class histogram, loss oscillation) and its
    measured test figures.

    Args:
        model: the generator (fashion-ebgan, fashion-dcgan).
    """
    get_model(model)  # checks the name
    figures = test_figures(model)
    rows = "\n".join(f"| {k} | {v:.4g} |" for k, v in figures.items())
    plot = output_file((CHECKPOINTS_DIR / model / "diagnostics.png").read_bytes(), ".png")
    return plot, f"Measured on the test set (see the model card):\n\n| figure | value |\n|---|---|\n{rows}"


def create_tab():
    with gr.Tab("Sample (GAN)"):
        gr.Markdown(LESSON)
        model = gr.Dropdown(GANS, value=GANS[0] if GANS else None, label="model")
        with gr.Row():
            class_name = gr.Dropdown(["any", *CLASSES], value="any", label="class")
            truncation = CheckedSlider(0.05, 1.0, value=1.0, step=0.05, label="truncation")
            seed = CheckedNumber(0, precision=0, label="seed (−1 = random)")
            num = CheckedSlider(1, 64, value=16, step=1, label="number of images")
        go = gr.Button("Sample", variant="primary")
        first = first_result(sample_endpoint, GANS[0], "any", 1.0, 0, 16) if GANS else (None,) * 3
        out = gr.Image(first[0], label="samples", format="png", type="pil")
        info, how = gr.Markdown(first[1]), gr.Markdown(first[2])
        on_run(
            go.click, sample_endpoint, [model, class_name, truncation, seed, num], [out, info, how], api_name="sample"
        )
        with gr.Accordion("Interpolate between two seeds", open=False):
            with gr.Row():
                seed_a = CheckedNumber(1, precision=0, label="seed A")
                seed_b = CheckedNumber(2, precision=0, label="seed B")
                steps = CheckedSlider(2, 16, value=10, step=1, label="steps")
            walk = gr.Button("Interpolate")
            strip, how_walk = gr.Image(label="z walk from seed A to seed B", format="png", type="pil"), gr.Markdown()
            on_run(
                walk.click,
                interpolate_seeds_endpoint,
                [model, class_name, seed_a, seed_b, steps, truncation],
                [strip, how_walk],
                api_name="interpolate_seeds",
            )
        with gr.Accordion("Training diagnostics: vanishing gradients, mode collapse, unstable convergence", open=False):
            show_diag = gr.Button("Show")
            plot, figures = gr.Image(label="diagnostics", format="png", type="pil"), gr.Markdown()
            on_run(show_diag.click, diagnostics_endpoint, [model], [plot, figures], api_name="gan_diagnostics")
