"""The Space's Sample tab: class-conditional GAN or diffusion samples, the denoising trajectory, seed walks, training
diagnostics."""

from __future__ import annotations

import gradio as gr
import torch

from genhub.models.diffusion import SAMPLERS
from genhub.operations import denoising_trajectory, interpolate_seeds, sample

from ..common import (
    CHECKPOINTS_DIR,
    CLASSES,
    DIFFUSIONS,
    EMOJI_GANS,
    GANS,
    CheckedNumber,
    CheckedSlider,
    checked_class,
    class_names_of,
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

G(z, y), z = truncation · N(0, 1) cut to ±2; the default model has the lowest measured classifier-FID.

**Beyond the lecture: diffusion** (`fashion-diffusion`). Instead of one jump from z to an image, a network learns to
remove a little noise at a time, x_T ~ N(0, I) → … → x_0; the sampler decides how many steps (fewer: faster, rougher)
and the guidance scale w how hard the class pulls (1: none). Its trajectory strip shows x_t from noise to item;
the Compare tab sets it beside the VAE and the GANs.

**In colour: emoji** (`emoji-dcgan-32`). The same GAN on 32-px colour emoji (Noto Color Emoji, conditioned on
Unicode's 9 groups); so few images (3,283) need DiffAugment in the game, or the critic memorises them."""
DENOISING_MODELS = GANS + DIFFUSIONS  # the menu: the GANs (lowest FID first), then the diffusion models
DATASET_MODELS = {"Fashion-MNIST": DENOISING_MODELS, "emoji (32-px colour)": EMOJI_GANS}  # the dataset choice
SAMPLERS_MENU = DENOISING_MODELS + EMOJI_GANS  # every model the Sample tab draws from


def menu_model(model, menu: list[str]) -> str:
    """The model name if the menu offers it (the menu takes typed names too), else a ValueError naming the menu."""
    if not isinstance(model, str) or model not in menu:
        raise ValueError(f"model must be one of {', '.join(menu)}, got {model!r}")
    return model


def dataset_menus(dataset: str):
    """The model and class menus for a dataset choice: its models, and the first one's classes."""
    models = DATASET_MODELS.get(dataset, [])
    first = models[0] if models else None
    return (
        gr.update(choices=models, value=first),
        gr.update(choices=["any", *(class_names_of(first) if first else [])], value="any"),
    )


@handler
def sample_endpoint(
    model: str,
    class_name: str,
    truncation: float,
    seed: int,
    num_images: int,
    steps: int = 20,
    sampler: str = "ddpm",
    guidance: float = 1.5,
):
    """Sample a class-conditional GAN or diffusion model: a grid of generated Fashion-MNIST items or colour emoji.

    Args:
        model: the generator (fashion-dcgan, fashion-ebgan; emoji-dcgan-32 for colour emoji) or diffusion model
            (fashion-diffusion).
        class_name: one of the model's classes (a Fashion-MNIST class; an emoji's Unicode group), or "any".
        truncation: GANs: z = truncation * N(0, 1) cut to +-2, in 0.05..1 (lower: more typical, less varied).
        seed: seed of z or of the noise (-1: random, the seed used is returned).
        num_images: how many images, 1..64.
        steps: diffusion: denoising steps, 1..100 (GANs ignore it).
        sampler: diffusion: ddpm (ancestral, the default), dpm_solver, ddim or euler_ancestral (GANs ignore it).
        guidance: diffusion: classifier-free guidance scale w in 0..10, 1 = none (GANs ignore it).
    """
    net = get_model(menu_model(model, SAMPLERS_MENU))
    label = checked_class(class_name, net.config.class_names)
    trunc = number("truncation", truncation, 0.05, 1.0)
    n = number("num_images", num_images, 1, 64, integer=True)
    used_seed = resolve_seed(seed)
    params = dict(model=model, class_name=class_name, truncation=trunc, seed=used_seed, num_images=n)
    labels = "" if label is None else f", class_labels={label!r}"
    info = f"Seed used: **{used_seed}** · class: {class_name}"
    generator = torch.Generator().manual_seed(used_seed)
    if model in DIFFUSIONS:
        options = denoising_options(steps, sampler, guidance)
        images = sample(net, n, class_labels=label, generator=generator, **options)
        params |= dict(steps=options["num_inference_steps"], sampler=options["sampler"], guidance=guidance)
        call = ", ".join(f"{k}={v!r}" for k, v in options.items())
        code = (
            f"images = model.generate({n}{labels}, {call},\n    generator=torch.Generator().manual_seed({used_seed}))"
        )
        code = f"import genhub, torch\nmodel = genhub.load_model({model!r})\n{code}"
        info += f" · {options['num_inference_steps']} {options['sampler']} steps, guidance {guidance:g}"
    else:
        images = sample(net, n, class_labels=label, truncation=trunc, generator=generator)
        code = (
            f"import genhub, torch\ngan = genhub.load_model({model!r})\nimages = gan.generate({n}{labels}, "
            f"truncation={trunc}, generator=torch.Generator().manual_seed({used_seed}))"
        )
        info += f" · truncation {trunc} (|z| ≤ {2 * trunc:.2f})"
    return show(images, scale=4), info, recipe("/sample", model, params, code)


def denoising_options(steps, sampler, guidance) -> dict:
    """A diffusion model's sampling settings from the tab's controls, checked."""
    if sampler not in SAMPLERS:
        raise ValueError(f"sampler must be one of {', '.join(SAMPLERS)}, got {sampler!r}")
    steps = number("steps", steps, 1, 100, integer=True)
    return dict(num_inference_steps=steps, guidance_scale=number("guidance", guidance, 0, 10), sampler=sampler)


@handler
def denoise_endpoint(model: str, class_name: str, seed: int, steps: int, sampler: str, guidance: float):
    """A diffusion model's denoising trajectory: x_t at 8 moments from pure noise to the item, for 4 items.

    Args:
        model: the diffusion model (fashion-diffusion).
        class_name: a Fashion-MNIST class, or "any" for random classes.
        seed: seed of the noise (-1: random, the seed used is returned).
        steps: denoising steps, 7..100.
        sampler: ddpm (ancestral), dpm_solver, ddim or euler_ancestral.
        guidance: classifier-free guidance scale w in 0..10 (1 = none).
    """
    if model not in DIFFUSIONS:
        raise ValueError(f"model must be a diffusion model ({', '.join(DIFFUSIONS)}), got {model!r}")
    net, label, used_seed = get_model(model), checked_class(class_name), resolve_seed(seed)
    options = denoising_options(steps, sampler, guidance)
    if options["num_inference_steps"] < 7:
        raise ValueError(f"steps must be in [7, 100] for 8 moments, got {options['num_inference_steps']}")
    generator = torch.Generator().manual_seed(used_seed)
    out = denoising_trajectory(net, 4, class_labels=label, moments=8, generator=generator, **options)
    frames = out.trajectory.transpose(0, 1).flatten(0, 1)  # (8, 4, C, H, W) -> one row of 8 moments per item
    call = ", ".join(f"{k}={v!r}" for k, v in options.items())
    labels = "" if label is None else f", class_labels={label!r}"
    code = (
        f"import genhub, torch\nfrom genhub.operations import denoising_trajectory\nmodel = genhub.load_model("
        f"{model!r})\nout = denoising_trajectory(model, 4{labels}, moments=8, {call},\n"
        f"    generator=torch.Generator().manual_seed({used_seed}))  # out.trajectory: (8, 4, 1, 28, 28)"
    )
    params = dict(
        model=model,
        class_name=class_name,
        seed=used_seed,
        steps=options["num_inference_steps"],
        sampler=options["sampler"],
        guidance=guidance,
    )
    info = f"Seed used: **{used_seed}** · columns: t = " + ", ".join(map(str, out.timesteps)) + " (0: the item)"
    return show(frames, ncols=8, scale=4), info, recipe("/denoise", model, params, code)


@handler
def interpolate_seeds_endpoint(model: str, class_name: str, seed_a: int, seed_b: int, steps: int, truncation: float):
    """Walk in a straight line between the latent codes of two seeds.

    Args:
        model: the generator (fashion-ebgan, fashion-dcgan, emoji-dcgan-32).
        class_name: the class of the items, one of the model's ("any": one class drawn from seed A).
        seed_a: seed of the first code.
        seed_b: seed of the second code.
        steps: frames, 2..16.
        truncation: in 0.05..1.
    """
    net = get_model(menu_model(model, GANS + EMOJI_GANS))
    label, names = checked_class(class_name, net.config.class_names), list(net.config.class_names)
    a, b = (number(n, v, 0, 2**31 - 1, integer=True) for n, v in (("seed_a", seed_a), ("seed_b", seed_b)))
    if label is None:  # "any": one class for the whole walk, drawn from seed A
        label = names[int(torch.randint(len(names), (1,), generator=torch.Generator().manual_seed(a)))]
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
        model: the generator (fashion-ebgan, fashion-dcgan, emoji-dcgan-32).
    """
    if model not in GANS + EMOJI_GANS:
        gans = ", ".join(GANS + EMOJI_GANS)
        raise ValueError(f"training diagnostics are a GAN's: model must be one of {gans}, got {model!r}")
    figures = test_figures(model)
    rows = "\n".join(f"| {k} | {v:.4g} |" for k, v in figures.items())
    plot = output_file((CHECKPOINTS_DIR / model / "diagnostics.png").read_bytes(), ".png")
    return plot, f"Measured on the test set (see the model card):\n\n| figure | value |\n|---|---|\n{rows}"


def create_tab():
    with gr.Tab("Sample"):
        gr.Markdown(LESSON)
        dataset = gr.Radio(list(DATASET_MODELS), value="Fashion-MNIST", label="dataset", visible=bool(EMOJI_GANS))
        model = gr.Dropdown(DENOISING_MODELS, value=GANS[0] if GANS else None, label="model", allow_custom_value=True)
        with gr.Row():
            class_name = gr.Dropdown(["any", *CLASSES], value="any", label="class", allow_custom_value=True)
            truncation = CheckedSlider(0.05, 1.0, value=1.0, step=0.05, label="truncation (GANs)")
            seed = CheckedNumber(0, precision=0, label="seed (−1 = random)")
            num = CheckedSlider(1, 64, value=16, step=1, label="number of images")
        with gr.Row():
            steps = CheckedSlider(1, 100, value=20, step=1, label="steps (diffusion)")
            sampler = gr.Dropdown(list(SAMPLERS), value="ddpm", label="sampler (diffusion)")
            guidance = CheckedSlider(0, 10, value=1.5, step=0.5, label="guidance scale w (diffusion; 1 = none)")
        go = gr.Button("Sample", variant="primary")
        first = first_result(sample_endpoint, GANS[0], "any", 1.0, 0, 16) if GANS else (None,) * 3
        out = gr.Image(first[0], label="samples", format="png", type="pil")
        info, how = gr.Markdown(first[1]), gr.Markdown(first[2])
        dataset.change(dataset_menus, dataset, [model, class_name], api_visibility="private")
        inputs = [model, class_name, truncation, seed, num, steps, sampler, guidance]
        on_run(go.click, sample_endpoint, inputs, [out, info, how], api_name="sample")
        with gr.Accordion("Denoising trajectory (diffusion): x_t from noise to item", open=bool(DIFFUSIONS)):
            diffusion = gr.Dropdown(DIFFUSIONS, value=DIFFUSIONS[0] if DIFFUSIONS else None, label="diffusion model")
            trace = gr.Button("Show the trajectory")
            strip = gr.Image(label="x_t at 8 moments (columns), 4 items (rows)", format="png", type="pil")
            trace_info, trace_how = gr.Markdown(), gr.Markdown()
            on_run(
                trace.click,
                denoise_endpoint,
                [diffusion, class_name, seed, steps, sampler, guidance],
                [strip, trace_info, trace_how],
                api_name="denoise",
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
