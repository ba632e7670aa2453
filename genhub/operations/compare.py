"""The generative trilemma side by side (Xiao, Kreis & Vahdat 2022: quality, coverage, speed): the same class and
seed through a VAE, the GANs and a diffusion model at a few step counts, each row timed as it is made, beside the
figures `bench/bench_diffusion.py` measured for every row (stored in genhub/assets/trilemma.json).

    quality   classifier-FID, precision (k-NN, Kynkaanniemi 2019), conditional accuracy
    coverage  recall (k-NN), mode KL
    speed     milliseconds per image on this CPU, parameters
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

import torch
from transformers.utils import ModelOutput

from ..images import ASSETS
from ..models import require
from .sampling import sample

TRILEMMA = ASSETS / "trilemma.json"  # {row: {figure: value}}, written by bench/bench_diffusion.py
DIFFUSION_STEPS = (10, 20, 50)  # the diffusion rows: sampling steps
MAX_IMAGES = 16  # images per row


@dataclass
class ComparisonOutput(ModelOutput):
    images: torch.Tensor | None = None  # (rows * N, C, H, W) in [0, 1]: one row of N images per entry of `rows`
    rows: list[str] | None = None  # what made each row, e.g. "fashion-diffusion, 20 steps"
    milliseconds: list[float] | None = None  # per image, measured while making that row
    parameters: list[int] | None = None  # each row's model size
    conditional: list[bool] | None = None  # whether the row honours the class (a plain VAE samples any class)


def row_name(name: str, steps: int | None = None) -> str:
    """The label of a row, as in trilemma.json: the model's name (a diffusion model's with its steps)."""
    return name if steps is None else f"{name}, {steps} steps"


def sampling_parameters(model) -> int:
    """Parameters of the network that samples: a GAN's generator (not its cost network), a VAE's decoder and second
    stage (not its encoder), a diffusion model's whole UNet."""
    return model.num_sampling_parameters()


def stored_figures() -> dict[str, dict[str, float]]:
    """The bench's figures per row ({} when bench/bench_diffusion.py has not written them)."""
    return json.loads(TRILEMMA.read_text()) if TRILEMMA.exists() else {}


@torch.no_grad()
def compare_families(
    models: dict, class_label=None, seed: int = 0, num_images: int = 8, diffusion_steps=DIFFUSION_STEPS
) -> ComparisonOutput:
    """One row of num_images per model (a diffusion model: one per step count in diffusion_steps), every row from
    torch.Generator().manual_seed(seed) and the same class (class_label: an id, a name or None for random classes;
    a model without classes samples unconditionally), each row timed."""
    if isinstance(num_images, bool) or not isinstance(num_images, int) or not 1 <= num_images <= MAX_IMAGES:
        raise ValueError(f"num_images must be an integer in 1..{MAX_IMAGES}, got {num_images!r}")
    if not models:
        raise ValueError("compare_families needs at least one model")
    out = ComparisonOutput(images=[], rows=[], milliseconds=[], parameters=[], conditional=[])
    for name, model in models.items():
        require(model, "sample", f"compare_families ({name})")
        stepped = "num_inference_steps" in model.sampling_options  # a diffusion model: one row per step count
        conditional = "class_labels" in model.sampling_options  # a VAE samples z ~ its prior, any class
        for steps in diffusion_steps if stepped else (None,):
            kwargs = {"num_inference_steps": steps} if stepped else {}
            labels = class_label if conditional else None
            generator = torch.Generator().manual_seed(seed)
            start = time.perf_counter()
            images = sample(model, num_images, class_labels=labels, generator=generator, **kwargs)
            out.milliseconds.append((time.perf_counter() - start) * 1e3 / num_images)
            out.images.append(images)
            out.rows.append(row_name(name, steps))
            out.parameters.append(sampling_parameters(model))
            out.conditional.append(conditional)
    out.images = torch.cat(out.images)
    return out
