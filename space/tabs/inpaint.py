"""The Space's Inpaint tab: draw (or pick) a mask, fill it under VAE / GAN priors, compare with Telea."""

from __future__ import annotations

import html

import gradio as gr
import torch

from genhub.images import from_pil, mask_from_strokes, open_image
from genhub.metrics import masked_psnr
from genhub.operations.inpainting import inpaint, inpaint_baseline
from genhub.operations.masks import PRESET_MASKS, preset_mask

from ..common import (
    DIFFUSIONS,
    EXAMPLES,
    GANS,
    LONG_JOB_WORKERS,
    LONG_JOBS,
    MODELS,
    UPLOADED,
    UPLOADED_LAYER,
    VAES,
    CheckedNumber,
    CheckedSlider,
    MaskInput,
    deadline_progress,
    editor_expr,
    example_picker,
    get_model,
    handler,
    number,
    on_run,
    recipe,
    resolve_seed,
    show,
)

PRESETS = ["drawn", *PRESET_MASKS]
PRIORS = ["VAE", "GAN", "both", "diffusion", "all"]  # both: VAE and GAN; all: VAE, GAN and diffusion (RePaint)
# the VAE prior that fills best with the class guide (bench/results/inpainting.md): the two-stage VAE, searched in
# its sharp first stage's z under its class prior (left half, 1,000 items: class kept 0.922 vs fashion-vae's 0.900)
VAE_PRIOR = "fashion-vae-2stage" if "fashion-vae-2stage" in VAES else (VAES or ["fashion-vae"])[0]
GAN_PRIORS = GANS  # the GAN with the lowest measured classifier-FID first
# the class evidence the search starts from: a classifier of partly hidden items (None: the nearest prior samples)
CLASS_GUIDE = "fashion-classifier-partial" if "fashion-classifier-partial" in MODELS else None


def drawn_mask(value) -> torch.Tensor:
    """The editor's stroke layers as a mask (genhub.images.mask_from_strokes)."""
    return mask_from_strokes((value or {}).get("layers") or [])


def image_and_mask(value, preset: str, seed: int) -> tuple[torch.Tensor, torch.Tensor, str]:
    background = (value or {}).get("background")
    if not background:
        raise ValueError("no image: load a test image or upload one into the editor")
    x, note = from_pil(open_image(background))
    mask = drawn_mask(value) if preset == "drawn" else preset_mask(preset, 1, torch.Generator().manual_seed(seed))
    return x, mask, note


def guide_class(guide, x: torch.Tensor, mask: torch.Tensor) -> str:
    """The class name the class guide reads from the known pixels."""
    label = int(guide.predict(x.to(guide.dtype), mask=mask.to(guide.dtype))[0])
    return (guide.config.class_names or [str(i) for i in range(guide.config.num_classes)])[label]


def hole_psnr(filled: torch.Tensor, x: torch.Tensor, mask: torch.Tensor) -> str:
    if mask.sum() == 0:
        return "—"
    return f"{masked_psnr(filled, x, mask).item():.2f} dB"


LESSON = """### Inpainting with a generative prior
To fill a hole, search the generator's latent space for the code whose image agrees with the pixels you can see
(a context loss, weighted near the hole) while staying likely under the prior (Yeh et al. 2017); then blend the
fill into the image. The known pixels come back unchanged, and the search never reads the hidden ones.
The search starts from prior samples of the class that a classifier of partly hidden items names for the
known pixels (`fashion-classifier-partial`), and the VAE's search stays under that class's Gaussian (its class
prior), so the fill keeps the item's class. The GAN's best fill is then refined a few more steps so that the same
classifier reads the completed item as that class. With the left half hidden, the VAE's fills keep the class for
0.905 of the 10,000 test items (0.9345 untouched), and the GAN's for 0.911 of the first 5,000 (0.929 untouched): the
GAN fills sharper, the VAE closer to the hidden pixels (17.6 against 15.6 dB).

Beyond the lecture, the diffusion prior (RePaint, Lugmayr et al. 2022) needs no search: it denoises from pure noise
and, at every step, puts back the known pixels noised to that step, so the fill grows in agreement with them.

**What to look at:** the VAE, GAN and diffusion priors beside OpenCV's Telea (which only diffuses the border
inwards), with the PSNR inside the hole. Draw the missing region with the brush, or pick a preset mask."""


WHY_BELOW_TELEA = (
    "PSNR rewards the average of what could be hidden, so on one item a smooth guess (Telea diffuses the border "
    "inwards) can beat a sharp, plausible fill whose edges sit a little elsewhere than the real ones (the "
    "perception-distortion trade-off, Blau & Michaeli 2018). Over the test set the priors fill closer than Telea "
    "(centre square: VAE 17.7 dB, Telea 12.8 dB) and keep the item's class more often, most of all with the left half "
    "hidden (0.905 against 0.669; `bench/results/inpainting.md`)."
)


def recipe_code(preset: str, used_seed: int, prior: str, steps: int) -> str:
    """The Python a call of /inpaint amounts to (the recipe shown under the result)."""
    mask_code = (
        f"mask = mask_from_strokes([{UPLOADED_LAYER!r}])"
        if preset == "drawn"
        else f"mask = preset_mask({preset!r}, 1, torch.Generator().manual_seed({used_seed}))"
    )
    code = (
        f"import genhub, torch\nfrom genhub.images import from_pil, mask_from_strokes, open_image\n"
        f"from genhub.operations import inpaint, preset_mask\nimages, _ = from_pil(open_image({UPLOADED!r}))\n"
        f"{mask_code}\nmodel = genhub.load_model({prior!r})\n"
        + (f"guide = genhub.load_model({CLASS_GUIDE!r})\n" if CLASS_GUIDE else "")
        + f"out = inpaint(model, images, mask, steps={steps}, "
        + ("class_guide=guide, " if CLASS_GUIDE else "")
        + f"generator=torch.Generator().manual_seed({used_seed}))"
    )
    return code


@handler
def inpaint_endpoint(editor, preset: str, prior: str, steps: int, seed: int, progress=gr.Progress()):
    """Fill the missing pixels of an image under a VAE and/or GAN prior, beside OpenCV's Telea, with the hole's PSNR.

    Args:
        editor: an image-editor value: background = the image, layers = strokes marking the missing pixels.
        preset: drawn (the strokes), centre square, left half, random blocks or strokes (random ones).
        prior: VAE, GAN, both (VAE and GAN), diffusion (RePaint) or all three.
        steps: latent-search steps of the VAE and GAN priors, 10..1000 (RePaint takes its own 50 steps, resampled).
        seed: seed of the random masks (random blocks, strokes; -1: random, the seed used is returned); the search
            itself is deterministic.
    """
    if preset not in PRESETS or prior not in PRIORS:
        raise ValueError(f"mask must be one of {PRESETS} and prior one of {PRIORS}")
    steps, used_seed = number("steps", steps, 10, 1000, integer=True), resolve_seed(seed)
    x, mask, note = image_and_mask(editor, preset, used_seed)
    priors = {
        "VAE": [VAE_PRIOR],
        "GAN": GAN_PRIORS[:1],
        "both": [VAE_PRIOR, *GAN_PRIORS[:1]],
        "diffusion": DIFFUSIONS[:1],
        "all": [VAE_PRIOR, *GAN_PRIORS[:1], *DIFFUSIONS[:1]],
    }[prior]
    if not priors:
        raise ValueError(f"no {prior} prior is available here")
    results, rows, report_progress = [], [], deadline_progress(progress)
    guide = get_model(CLASS_GUIDE) if CLASS_GUIDE else None
    for i, name in enumerate(priors):
        report = lambda done, total, i=i: report_progress(
            (i + done / total) / len(priors), desc=f"{name}: step {done}/{total}"
        )
        out = inpaint(
            get_model(name),
            x,
            mask,
            steps=steps,
            generator=torch.Generator().manual_seed(used_seed),
            progress=report,
            class_guide=guide,
        )
        results.append(out.images)
        chosen = (
            ""
            if out.class_labels is None
            else f" (class found: {get_model(name).config.class_names[out.class_labels[0]]})"
        )
        rows.append(f"| {name} prior{chosen} | {hole_psnr(out.images, x, mask)} |")
    telea = inpaint_baseline(x, mask, "telea")
    rows.append(f"| OpenCV Telea | {hole_psnr(telea, x, mask)} |")
    masked = torch.where(mask.bool(), torch.full_like(x, 0.5), x)
    strip = torch.cat([x, masked, *results, telea])
    info = summary(note, x, mask, priors, results, telea, rows, guide)
    params = dict(
        editor=editor_expr(strokes=preset == "drawn"), preset=preset, prior=prior, steps=steps, seed=used_seed
    )
    code = recipe_code(preset, used_seed, priors[0], steps)
    return show(strip, ncols=len(strip), scale=6), info, recipe("/inpaint", priors[0], params, code)


def summary(note, x, mask, priors, results, telea, rows, guide) -> str:
    """The answer's text: the input, the columns, the guide's class, the hole PSNRs, and why a prior fell below Telea."""
    below = [p for p, r in zip(priors, results) if mask.any() and masked_psnr(r, x, mask) < masked_psnr(telea, x, mask)]
    labels = ["original", "masked (grey = missing)", *[f"{p} prior" for p in priors], "Telea"]
    return (
        f"Input: {html.escape(note)}; {int(mask.sum())} of 784 pixels missing. Columns: {', '.join(labels)}.\n\n"
        + (f"Class the known pixels name ({CLASS_GUIDE}): {guide_class(guide, x, mask)}.\n\n" if guide else "")
        + "| fill | PSNR in the hole |\n|---|---|\n"
        + "\n".join(rows)
        + (f"\n\n{', '.join(below)} scored below Telea here: {WHY_BELOW_TELEA}" if below else "")
    )


def load_test_image(index: int):
    i = int(index)
    return {"background": show(EXAMPLES[i : i + 1]), "layers": [], "composite": show(EXAMPLES[i : i + 1])}


def create_tab():
    with gr.Tab("Inpaint"):
        gr.Markdown(LESSON)
        with gr.Row():
            with gr.Column():
                with gr.Row():
                    example = example_picker("test image", 4)
                    load = gr.Button("Load test image")
                editor = MaskInput(
                    type="filepath",
                    image_mode="RGBA",
                    label="image (upload or load) — draw the mask",
                    value=load_test_image(4),
                    canvas_size=(224, 224),
                    brush=gr.Brush(colors=["#ff00ff"], default_color="#ff00ff", default_size=24),
                )
                preset = gr.Radio(PRESETS, value="centre square", label="mask")
                prior = gr.Radio(PRIORS, value="both", label="prior")
                steps = CheckedSlider(10, 1000, value=200, step=10, label="optimisation steps")
                seed = CheckedNumber(0, precision=0, label="seed of the random masks (−1 = random)")
                go = gr.Button("Inpaint", variant="primary")
            with gr.Column():
                out = gr.Image(label="original · masked · fills · Telea", format="png", type="pil")
                info, how = gr.Markdown(), gr.Markdown()
        load.click(load_test_image, [example], [editor], api_visibility="private")
        on_run(
            go.click,
            inpaint_endpoint,
            [editor, preset, prior, steps, seed],
            [out, info, how],
            api_name="inpaint",
            concurrency_id=LONG_JOBS,
            concurrency_limit=LONG_JOB_WORKERS,
        )
