"""VAE quality on the Fashion-MNIST test set: sample classifier-FID (10,000 samples against the 10,000 test
images, the evaluation classifier's features, the GANs' scale), -ELBO and its two terms, and for a two-stage VAE
the same through its first stage alone and the bound with the second stage as the prior. One table.

    python bench/bench_vae.py [--samples 10000]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import genhub  # noqa: E402
from genhub import data  # noqa: E402
from genhub.metrics import evaluate_vae, two_stage_negative_elbo, vae_sample_quality  # noqa: E402

MODELS = ("fashion-vae", "fashion-beta-vae", "fashion-vae-2stage")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=10000)
    args = parser.parse_args()
    test = data.as_float_images(data.load_fashion_mnist("test")[0])
    classifier = genhub.load_model("fashion-classifier")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; {args.samples} samples per model\n")
    print(
        "| model | beta | d | sample FID | sample FID, first stage alone | -ELBO (N(0, I) prior) | reconstruction "
        "| KL | -ELBO, second stage as prior |\n|---|---|---|---|---|---|---|---|---|"
    )
    for name in MODELS:
        model = genhub.load_model(name)
        quality = vae_sample_quality(model, classifier, test, args.samples)
        elbo = evaluate_vae(model, test)
        two = two_stage_negative_elbo(model, test) if model.config.second_stage_hidden_size else None
        first = quality.get("sample_fid_first_stage_prior")
        print(
            f"| {name} | {model.config.beta:g} | {model.config.latent_dim} | {quality['sample_fid']:.1f} | "
            f"{'—' if first is None else f'{first:.1f}'} | {elbo['negative_elbo']:.1f} | {elbo['reconstruction']:.1f} | "
            f"{elbo['kl']:.1f} | {'—' if two is None else f'{two:.1f}'} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
