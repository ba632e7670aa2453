"""The Space's Playground tab: train a small GAN or VAE live on Fashion-MNIST and watch the lecture's pitfalls."""

from __future__ import annotations

import gradio as gr

from genhub.hub import zip_checkpoint
from genhub.images import FigureSlot
from genhub.train.live import FAMILIES, PRESETS, LiveSettings, live_plot, playground_data, train_live

from ..common import (
    CLASSES,
    CheckedNumber,
    CheckedSlider,
    get_model,
    handler,
    log,
    number,
    on_run,
    output_file,
    refusal,
    show,
)

PLAYGROUND = "playground"  # concurrency group: live runs never hold up the other tabs
RUNS_AT_ONCE = 2  # live runs at the same time, over all users
PLOT_EVERY_S = 3.0  # seconds between redrawn plots (the samples refresh every second)
LESSON = """### Training playground: cause the GAN pitfalls yourself
Press **Train** and a small GAN (or VAE) learns Fashion-MNIST here, on this Space's CPU; every half second the
page shows samples on fixed latent codes, the losses, the gradient norm that reaches the generator, and how the
evaluation classifier sorts the samples into classes. Pick a preset to *cause* one of the lecture's pitfalls:
**vanishing gradients** (the saturating minimax loss against a strong discriminator), **mode collapse** (samples
piling onto few classes) or **unstable convergence** (oscillating losses), beside a healthy run. A run stops at
its step or time cap, or when you press Stop; the trained model downloads as a complete genhub checkpoint.

**Chosen so the lesson arrives in seconds on this Space's 2 shared CPU cores:** the GANs here are fully connected
(z → 256 → 512 → 784 pixels; the critic 784 → 512 → 256), about ten times the steps a second of the convolutional
GANs in the Sample tab, at batch 128 on three classes (trousers, sneakers, bags), and the plots are redrawn every
3 s while the samples refresh every second. The healthy preset's samples read as the three classes within about
300 steps (10-20 s); each pitfall shows within its first 150-400 steps."""


def preset_values(name: str):
    """Fill the controls from a preset, and say what to look at."""
    if name not in PRESETS:
        raise refusal(f"preset must be one of {', '.join(PRESETS)}")
    s, text = PRESETS[name]
    return (
        s.family,
        s.margin,
        s.beta,
        s.lr_generator,
        s.lr_cost,
        s.cost_steps,
        s.batch_size,
        s.latent_dim,
        [CLASSES[c] for c in s.classes],
        s.max_steps,
        s.betas[0],
        f"**What to look at.** {text}",
    )


def settings_from(
    family, margin, beta, lr_generator, lr_cost, cost_steps, batch_size, latent_dim, classes, max_steps, seed, beta1
) -> LiveSettings:
    if not isinstance(classes, list) or not classes or any(c not in CLASSES for c in classes):
        raise ValueError(f"classes must be a non-empty list of class names out of {', '.join(CLASSES)}")
    return LiveSettings(
        family=family,
        margin=number("margin", margin, 0.1, 1000),
        beta=number("beta", beta, 0, 100),
        lr_generator=number("lr_generator", lr_generator, 1e-6, 0.1),
        lr_cost=number("lr_cost", lr_cost, 1e-6, 0.1),
        cost_steps=number("cost_steps", cost_steps, 1, 10, True),
        batch_size=number("batch_size", batch_size, 8, 256, True),
        latent_dim=number("latent_dim", latent_dim, 2, 128, True),
        classes=tuple(sorted(CLASSES.index(c) for c in classes)),
        seed=number("seed", seed, 0, 2**31 - 1, True),
        max_steps=number("max_steps", max_steps, 1, 3000, True),
        betas=(number("beta1", beta1, 0, 0.99), 0.999),
    ).check()


@handler
def playground_endpoint(
    family: str,
    margin: float,
    beta: float,
    lr_generator: float,
    lr_cost: float,
    cost_steps: int,
    batch_size: int,
    latent_dim: int,
    classes: list,
    max_steps: int,
    seed: int,
    beta1: float = 0.5,
):
    """Train a small GAN (ebgan, nonsaturating, minimax) or VAE live on Fashion-MNIST; streams samples, plots and
    figures, and ends with the trained model as a zipped checkpoint.

    Args:
        family: ebgan, nonsaturating, minimax or vae.
        margin: EBGAN's margin m, 0.1..1000.
        beta: the VAE's KL weight, 0..100.
        lr_generator: Adam learning rate of the generator (or VAE), 1e-6..0.1.
        lr_cost: Adam learning rate of the cost network / discriminator, 1e-6..0.1.
        cost_steps: cost-network updates per generator update (D:G ratio), 1..10.
        batch_size: 8..256.
        latent_dim: size of z, 2..128.
        classes: the Fashion-MNIST class names to train on (at least one).
        max_steps: generator updates, 1..3000 (a run also stops after 90 s).
        seed: seed of the initialisation and the batches (the same seed gives the same run).
        beta1: Adam's beta1 for both networks, 0..0.99 (0.5 in the healthy run; 0.9, heavy momentum, in the
            unstable-convergence preset).
    """
    settings = settings_from(
        family, margin, beta, lr_generator, lr_cost, cost_steps, batch_size, latent_dim, classes, max_steps, seed, beta1
    )
    images, labels = playground_data(settings.classes)
    classifier = get_model("fashion-classifier")
    plotted, slot = -PLOT_EVERY_S, FigureSlot()
    for event in train_live(settings, images, labels, classifier):
        figures = (
            f"step **{event.step}** of {settings.max_steps} · {event.seconds:.1f} s · class-histogram KL to "
            f"uniform **{event.histogram_kl:.3f}** (0 = every trained class gets its share; "
            "it grows as classes go missing)"
        )
        first, now, swing = event.readings()
        figures += (
            f" · gradient norm reaching G **{now:.2g}** (at step 1: {first:.2g}) · std of L_G over the last 20 "
            f"steps **{swing:.3f}**"
        )
        done = None
        if event.done:
            figures += f" · ended: {event.reason}"
            done = output_file(zip_checkpoint(event.model, "genhub-playground"), ".zip")
            log.info("playground run ended after %d steps (%s)", event.step, event.reason)
        plot = gr.skip()  # the plot costs a quarter second: drawn every PLOT_EVERY_S and at the end
        if event.done or event.seconds - plotted >= PLOT_EVERY_S:
            plot, plotted = output_file(live_plot(event, settings, slot), ".png"), event.seconds
        yield show(event.samples, ncols=8, scale=4), plot, figures, done


def create_tab():
    with gr.Tab("Playground"):
        gr.Markdown(LESSON)
        with gr.Row():
            preset = gr.Dropdown(list(PRESETS), value="healthy", label="preset")
            look = gr.Markdown(f"**What to look at.** {PRESETS['healthy'][1]}")
        s = PRESETS["healthy"][0]
        with gr.Row():
            family = gr.Radio(list(FAMILIES), value=s.family, label="family")
            classes = gr.CheckboxGroup(CLASSES, value=[CLASSES[c] for c in s.classes], label="classes to train on")
        with gr.Row():
            margin = CheckedSlider(0.1, 100, value=s.margin, step=0.1, label="EBGAN margin m")
            beta = CheckedSlider(0, 10, value=s.beta, step=0.1, label="VAE β")
            lr_g = CheckedNumber(s.lr_generator, label="learning rate G")
            lr_d = CheckedNumber(s.lr_cost, label="learning rate C/D")
        with gr.Row():
            cost_steps = CheckedSlider(1, 10, value=s.cost_steps, step=1, label="C/D updates per G update")
            batch = CheckedSlider(8, 256, value=s.batch_size, step=8, label="batch size")
            latent = CheckedSlider(2, 128, value=s.latent_dim, step=1, label="latent size")
            steps = CheckedSlider(10, 3000, value=s.max_steps, step=10, label="steps (cap)")
            seed = CheckedNumber(0, precision=0, label="seed")
            beta1 = CheckedSlider(0, 0.99, value=s.betas[0], step=0.01, label="Adam β1 (momentum)")
        with gr.Row():
            train = gr.Button("Train", variant="primary")
            stop = gr.Button("Stop", variant="stop")
        with gr.Row():
            samples = gr.Image(label="samples on fixed latents", format="png", type="filepath")
            plot = gr.Image(
                label="losses · gradient norm · class histogram · oscillation", format="png", type="filepath"
            )
        figures, model_file = gr.Markdown(), gr.File(label="trained model (a genhub checkpoint, zipped)")
        gr.Markdown(
            "Load the unzipped folder with `genhub.load_model(folder)`; push it with "
            "`genhub.load_model(folder).push_to_hub('<you>/<name>')`."
        )
        controls = [family, margin, beta, lr_g, lr_d, cost_steps, batch, latent, classes, steps]
        preset.change(preset_values, [preset], [*controls, beta1, look], api_visibility="private")
        run = on_run(
            train.click,
            playground_endpoint,
            [*controls, seed, beta1],
            [samples, plot, figures, model_file],
            api_name="playground",
            concurrency_id=PLAYGROUND,
            concurrency_limit=RUNS_AT_ONCE,
        )
        stop.click(None, None, None, cancels=[run])
