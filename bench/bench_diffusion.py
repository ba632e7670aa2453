"""The generative trilemma measured one way: the two-stage VAE, the EBGAN, the DCGAN and the diffusion model.

Quality and coverage on N samples (classes balanced for the class-conditional models; the VAE samples its prior)
against the 10,000 test images in the evaluation classifier's 128-d features: classifier-FID, k-NN precision and
recall (k = 3, 5,000 each), conditional accuracy; speed as milliseconds per image for 16 images (median of 5) on
this CPU, and the sampling network's parameters. Then the diffusion model's FID and speed against its number of
sampling steps for two samplers, on fewer samples (FID is biased upwards by fewer samples: compare within a table).
Writes genhub/assets/trilemma.json (the Compare tab's stored figures) and prints markdown tables.

    python bench/bench_diffusion.py [--samples 10000] [--sweep-samples 1000]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import genhub  # noqa: E402
from genhub import data  # noqa: E402
from genhub.metrics import features_of, frechet_distance, precision_recall  # noqa: E402
from genhub.operations.compare import DIFFUSION_STEPS, TRILEMMA, row_name, sampling_parameters  # noqa: E402
from genhub.operations.sampling import sample  # noqa: E402

ROWS = ("fashion-vae-2stage", "fashion-ebgan", "fashion-dcgan", "fashion-diffusion")
COLUMNS = ("fid", "precision", "recall", "conditional_accuracy", "ms_per_image", "parameters", "samples")
FULL_STEPS = 20  # the diffusion row at the default steps takes --samples; the others --sweep-samples (FID biased up)


def draw(model, n: int, conditional: bool, **options) -> tuple[torch.Tensor, torch.Tensor | None]:
    """n samples in batches of 250 (classes balanced when conditional), from seed 0, and the requested classes."""
    generator = torch.Generator().manual_seed(0)
    classes = torch.arange(10).repeat_interleave(n // 10) if conditional else None
    parts = []
    for i in range(0, n, 250):
        labels = classes[i : i + 250] if conditional else None
        parts.append(sample(model, min(250, n - i), class_labels=labels, generator=generator, **options))
    return torch.cat(parts), classes


def ms_per_image(model, **options) -> float:
    times = []
    for seed in range(6):
        start = time.perf_counter()
        sample(model, 16, generator=torch.Generator().manual_seed(seed), **options)
        times.append(time.perf_counter() - start)
    return statistics.median(times[1:]) * 1e3 / 16


def measure(model, real, classifier, n: int, **options) -> dict[str, float]:
    conditional = "class_labels" in model.sampling_options  # a VAE samples its prior, any class
    images, classes = draw(model, n, conditional, **options)
    fake = features_of(classifier, images)
    k = min(5000, n)  # as many real as generated features (k-NN precision/recall compare like with like)
    precision, recall = precision_recall(real[:k], fake[:: max(1, n // k)][:k])
    accuracy = float((classifier.predict(images) == classes).float().mean()) if conditional else float("nan")
    return {
        "fid": frechet_distance(real, fake),
        "precision": precision,
        "recall": recall,
        "conditional_accuracy": accuracy,
        "ms_per_image": ms_per_image(model, **options),
        "parameters": sampling_parameters(model),
    }


def table(rows: dict[str, dict], columns=COLUMNS) -> str:
    lines = ["| model | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for name, f in rows.items():
        lines.append(f"| {name} | " + " | ".join(f"{f[c]:.4g}" for c in columns) + " |")
    return "\n".join(lines)


def main(samples: int, sweep_samples: int) -> None:
    test_x, _ = data.load_fashion_mnist("test")
    classifier = genhub.load_model("fashion-classifier")
    real = features_of(classifier, data.as_float_images(test_x))
    train_x, _ = data.load_fashion_mnist("train")
    floor = features_of(classifier, data.as_float_images(train_x[:samples]))
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    print(f"\n### The trilemma ({samples:,} samples vs the 10,000 test images; classifier features)\n")
    rows = {}
    for name in ROWS:
        model = genhub.load_model(name)
        for steps in DIFFUSION_STEPS if "num_inference_steps" in model.sampling_options else (None,):
            options = {} if steps is None else {"num_inference_steps": steps}
            n = samples if steps in (None, FULL_STEPS) else sweep_samples  # the CPU's time: the default on all
            rows[row_name(name, steps)] = measure(model, real, classifier, n, **options) | {"samples": n}
            print(f"{row_name(name, steps)}: {rows[row_name(name, steps)]}", file=sys.stderr, flush=True)
    p, r = precision_recall(real[:5000], floor[:5000])
    rows["real train images (floor)"] = dict(
        fid=frechet_distance(real, floor),
        precision=p,
        recall=r,
        conditional_accuracy=float("nan"),
        ms_per_image=0.0,
        parameters=0,
        samples=samples,
    )
    print(table(rows))
    TRILEMMA.write_text(json.dumps(rows, indent=1) + "\n")
    print(f"\n(written to {TRILEMMA.relative_to(Path(__file__).resolve().parents[1])})")
    print(f"\n### Diffusion: steps and sampler ({sweep_samples:,} samples; guidance 1.5, the default)\n")
    model, sweep = genhub.load_model("fashion-diffusion"), {}
    for sampler in ("ddpm", "dpm_solver"):
        for steps in (10, 20, 50):
            key = f"{sampler}, {steps} steps"
            sweep[key] = measure(model, real, classifier, sweep_samples, num_inference_steps=steps, sampler=sampler)
            print(f"{key}: {sweep[key]}", file=sys.stderr, flush=True)
    print(table(sweep, ("fid", "precision", "recall", "conditional_accuracy", "ms_per_image")))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=10000)
    parser.add_argument("--sweep-samples", type=int, default=1000)
    args = parser.parse_args()
    main(args.samples, args.sweep_samples)
