"""Colour generators on the emoji (issue 32): quality, coverage, copying and speed, each beside floors in the same
features.

In the emoji evaluation classifier's features (`emoji-classifier-32`; its held-out balanced group accuracy is
printed): classifier-FID of as many samples as the rendered set has emoji (groups drawn as often as in the set)
against the whole rendered set (train and held-out names), beside two floors: the set's two halves (every other
emoji) against each other, and the set blurred by a 3x3 box filter against the set. Group accuracy of the samples
(the classifier's reading against the group asked for), k-NN precision/recall against the set, and copying: for each
sample the distance to its nearest training image (L2 in pixels and in features), its median against the median
distance from each held-out emoji to its nearest training emoji (real to nearest real); milliseconds per image for a
batch of 16 on this CPU.

    python bench/bench_colour.py [--models emoji-dcgan-32] [--seed 0]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import genhub  # noqa: E402
from genhub import data  # noqa: E402
from genhub.metrics import evaluate_classifier, features_of, frechet_distance, precision_recall  # noqa: E402

MODELS = ("emoji-dcgan-32", "emoji-vae-32")
CHECKPOINTS = Path(__file__).resolve().parents[1] / "checkpoints"


def nearest(queries: torch.Tensor, bank: torch.Tensor) -> torch.Tensor:
    """Distance from each query row to its nearest bank row (L2), (N,)."""
    return torch.cat([torch.cdist(q, bank).min(1).values for q in queries.split(500)])


def draw(model, labels: torch.Tensor, seed: int) -> torch.Tensor:
    """As many samples as labels: of those groups for a class-conditional model, else unconditional."""
    generator = torch.Generator().manual_seed(seed)
    conditional = "class_labels" in model.sampling_options
    return torch.cat(
        [
            model.generate(len(part), class_labels=part, generator=generator)
            if conditional
            else model.generate(len(part), generator=generator)
            for part in labels.split(500)
        ]
    )


def per_image_ms(model, repeats: int = 10) -> float:
    model.generate(16, generator=torch.Generator().manual_seed(0))
    times = []
    for i in range(repeats):
        start = time.perf_counter()
        model.generate(16, generator=torch.Generator().manual_seed(i))
        times.append((time.perf_counter() - start) * 1000 / 16)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(MODELS))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    spec = data.DATASETS["emoji-32"]
    train, train_labels = spec.loader("train")
    test, test_labels = spec.loader("test")
    rendered, labels = torch.cat([train, test]), torch.cat([train_labels, test_labels])
    classifier = genhub.load_model(str(CHECKPOINTS / spec.classifier))
    held_out = evaluate_classifier(classifier, test, test_labels)
    real = features_of(classifier, rendered)
    train_features = features_of(classifier, train)
    blurred = F.avg_pool2d(F.pad(rendered, (1, 1, 1, 1), mode="replicate"), 3, stride=1)
    floors = {
        "the set's two halves": frechet_distance(real[0::2], real[1::2]),
        "the set blurred (3x3 box)": frechet_distance(features_of(classifier, blurred), real),
    }
    real_to_real = (
        nearest(test.flatten(1), train.flatten(1)).median().item(),
        nearest(features_of(classifier, test), train_features).median().item(),
    )
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    print(
        f"\n{len(rendered)} rendered emoji ({len(train)} train, {len(test)} held-out names); evaluation classifier "
        f"`{spec.classifier}`: held-out group accuracy {held_out['accuracy']:.3f}, balanced "
        f"{held_out.get('balanced_accuracy', held_out['accuracy']):.3f}\n"
    )
    print("| floor | classifier-FID against the set |\n|---|---|")
    for name, value in floors.items():
        print(f"| {name} | {value:.2f} |")
    print(
        f"\nReal to nearest real (each held-out emoji to its nearest training emoji), median: "
        f"{real_to_real[0]:.2f} in pixels (L2 over 3x32x32 in [0, 1]), {real_to_real[1]:.2f} in features\n"
    )
    print(
        "| model | FID | group accuracy (balanced over groups) | precision | recall | nearest train, pixels (median; of real-real) "
        "| nearest train, features (median; of real-real) | ms per image (16) |\n|---|---|---|---|---|---|---|---|"
    )
    for name in args.models:
        model = genhub.load_model(str(CHECKPOINTS / name))
        asked = labels[torch.randperm(len(labels), generator=torch.Generator().manual_seed(args.seed))]
        samples = draw(model, asked, args.seed)
        fake = features_of(classifier, samples)
        right = classifier.predict(samples) == asked
        balanced = torch.stack([right[asked == g].float().mean() for g in asked.unique()]).mean()
        accuracy = (
            f"{float(right.float().mean()):.3f} ({float(balanced):.3f})"
            if "class_labels" in model.sampling_options
            else "n/a (unconditional)"
        )
        precision, recall = precision_recall(real, fake)
        pixels = nearest(samples.flatten(1), train.flatten(1)).median().item()
        features = nearest(fake, train_features).median().item()
        print(
            f"| {name} | {frechet_distance(real, fake):.2f} | {accuracy} | {precision:.3f} | {recall:.3f} | "
            f"{pixels:.2f} ({pixels / real_to_real[0]:.2f}) | {features:.2f} ({features / real_to_real[1]:.2f}) | "
            f"{per_image_ms(model):.2f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
