"""The Space's 2-D playground (after GAN Lab): a GAN on points in the plane, trained live, so the pitfalls are seen
within seconds."""

from __future__ import annotations

import gradio as gr

from genhub.hub import zip_checkpoint
from genhub.images import FigureSlot, mask_from_strokes
from genhub.models.toy_gan import TOY_OBJECTIVES
from genhub.train.live2d import DATASETS, PRESETS_2D, Live2DSettings, live2d_plot, points_from_mask, train_live_2d

from ..common import (
    CheckedNumber,
    CheckedSlider,
    ImageInput,
    handler,
    log,
    number,
    on_run,
    output_file,
    refusal,
)

PLAYGROUND_2D = "playground-2d"  # concurrency group of its own
RUNS_AT_ONCE = 2
LESSON = """### 2-D playground: watch a GAN learn points in the plane
The same game as on Fashion-MNIST, small enough to see everything (after GAN Lab, Kahng et al. 2018): the
generator turns noise into points, the discriminator's verdict D(x) colours the plane (blue: real, red: fake), and
each orange arrow shows where the generator's loss pushes that point. Hundreds of updates a second run on this
CPU, so a run takes seconds. Pick a preset: a **healthy** run covers all 8 modes of the ring; in **mode collapse** the
points gather on one mode; in **unstable convergence** they swing from mode to mode. Or draw your own data (every
stroke cell is a mode) and choose the grid or the ring."""


def preset_values(name: str):
    if name not in PRESETS_2D:
        raise refusal(f"preset must be one of {', '.join(PRESETS_2D)}")
    s, text = PRESETS_2D[name]
    values = (s.dataset, s.objective, s.lr_generator, s.lr_discriminator, s.discriminator_steps, s.betas[0])
    return (*values, s.max_steps, f"**What to look at.** {text}")


@handler
def playground_2d_endpoint(
    dataset: str,
    drawing,
    objective: str,
    lr_generator: float,
    lr_discriminator: float,
    discriminator_steps: int,
    beta1: float,
    max_steps: int,
    seed: int,
):
    """Train a GAN on 2-D points live: streams the plane (D's heat map, real and generated points, the generator's
    arrows) with the losses, and ends with the trained model as a zipped genhub checkpoint.

    Args:
        dataset: ring (8 Gaussians), grid (25 Gaussians) or drawn (the strokes drawn on the canvas).
        drawing: an image-editor value whose stroke layers are the drawn data (used when dataset is drawn), or null.
        objective: nonsaturating or minimax (the saturating log(1 - D(G(z)))).
        lr_generator: Adam learning rate of G, 1e-6..0.1.
        lr_discriminator: Adam learning rate of D, 1e-6..0.1.
        discriminator_steps: D updates per G update, 1..10.
        beta1: Adam's beta1 for both (momentum), 0..0.999.
        max_steps: generator updates, 1..20000 (a run also stops after 60 s).
        seed: seed of the initialisation and the data (the same seed gives the same run).
    """
    if dataset not in DATASETS or objective not in TOY_OBJECTIVES:
        raise ValueError(
            f"dataset must be one of {', '.join(DATASETS)} and objective one of {', '.join(TOY_OBJECTIVES)}"
        )
    layers = (drawing.get("layers") if isinstance(drawing, dict) else None) or []
    if dataset == "drawn" and not layers:
        raise ValueError("the drawn dataset needs points: draw at least one stroke on the canvas")
    drawn = points_from_mask(mask_from_strokes(layers)) if dataset == "drawn" else None
    settings = Live2DSettings(
        dataset=dataset,
        objective=objective,
        lr_generator=number("lr_generator", lr_generator, 1e-6, 0.1),
        lr_discriminator=number("lr_discriminator", lr_discriminator, 1e-6, 0.1),
        discriminator_steps=number("discriminator_steps", discriminator_steps, 1, 10, True),
        betas=(number("beta1", beta1, 0, 0.999), 0.999),
        max_steps=number("max_steps", max_steps, 1, 20000, True),
        seed=number("seed", seed, 0, 2**31 - 1, True),
    ).check()
    slot = FigureSlot()
    for event in train_live_2d(settings, drawn):
        figures = (
            f"step **{event.step}** of {settings.max_steps} · {event.seconds:.1f} s · "
            f"{event.step / max(event.seconds, 1e-9):.0f} updates a second · **{event.covered} of {event.modes}** "
            "modes covered by the generated points"
        )
        done = None
        if event.done:
            figures += f" · ended: {event.reason}"
            done = output_file(zip_checkpoint(event.model, "genhub-playground-2d"), ".zip")
            log.info("2-D playground run ended after %d steps (%s)", event.step, event.reason)
        yield output_file(live2d_plot(event, slot), ".png"), figures, done


def create_tab():
    with gr.Tab("Playground 2-D"):
        gr.Markdown(LESSON)
        s = PRESETS_2D["healthy"][0]
        with gr.Row():
            preset = gr.Dropdown(list(PRESETS_2D), value="healthy", label="preset")
            look = gr.Markdown(f"**What to look at.** {PRESETS_2D['healthy'][1]}")
        with gr.Row():
            with gr.Column(scale=1):
                dataset = gr.Radio(list(DATASETS), value=s.dataset, label="data")
                drawing = ImageInput(
                    type="filepath",
                    label="draw your data (dataset: drawn)",
                    canvas_size=(280, 280),
                    brush=gr.Brush(colors=["#000000"], default_color="#000000", default_size=12),
                )
            with gr.Column(scale=2):
                with gr.Row():
                    objective = gr.Radio(list(TOY_OBJECTIVES), value=s.objective, label="objective")
                    lr_g = CheckedNumber(s.lr_generator, label="learning rate G")
                    lr_d = CheckedNumber(s.lr_discriminator, label="learning rate D")
                with gr.Row():
                    d_steps = CheckedSlider(1, 10, value=s.discriminator_steps, step=1, label="D updates per G update")
                    beta1 = CheckedSlider(0, 0.99, value=s.betas[0], step=0.01, label="Adam β1 (momentum)")
                    steps = CheckedSlider(100, 20000, value=s.max_steps, step=100, label="steps (cap)")
                    seed = CheckedNumber(0, precision=0, label="seed")
                with gr.Row():
                    train = gr.Button("Train", variant="primary")
                    stop = gr.Button("Stop", variant="stop")
        plane = gr.Image(
            label="the plane: D(x), real and generated points, arrows; the losses", format="png", type="filepath"
        )
        figures, model_file = gr.Markdown(), gr.File(label="trained model (a genhub checkpoint, zipped)")
        controls = [dataset, objective, lr_g, lr_d, d_steps, beta1, steps]
        preset.change(preset_values, [preset], [*controls, look], api_visibility="private")
        run = on_run(
            train.click,
            playground_2d_endpoint,
            [dataset, drawing, objective, lr_g, lr_d, d_steps, beta1, steps, seed],
            [plane, figures, model_file],
            api_name="playground_2d",
            concurrency_id=PLAYGROUND_2D,
            concurrency_limit=RUNS_AT_ONCE,
        )
        stop.click(None, None, None, cancels=[run])
