"""Steerability of the learned walks (Jahanian 2019), alone and projected (their codes refined towards the target,
`project_steps`, as the Space does by default): for every edit at the moderate alphas and at half of them, the
masked L2 of the walk relative to no walk (per image, not squared), the achieved vs the target transformation
measured on the images, the evaluation classifier's accuracy on the walked images beside its accuracy on the target
edits of the same images; the time of a 9-frame walk strip; the walk alone over each edit's whole range. The
generators' weights are not changed by steering, so their unsteered figures are their cards'.

    python bench/bench_steering.py [--images 500]
    python bench/bench_steering.py --opencv --images 100   # the same verdict against edits written with OpenCV
    python bench/bench_steering.py --fid                    # classifier-FID of walked images vs edited real ones
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import genhub  # noqa: E402
from genhub import data  # noqa: E402
from genhub.metrics import features_of, frechet_distance, steerability  # noqa: E402
from genhub.models.walks import EDITS, PROJECT_STEPS, edit_images, project  # noqa: E402
from genhub.operations import walk_strip  # noqa: E402

HALF = {  # half of the moderate alphas (issue 34's second column)
    "zoom": (0.85, 1.2),
    "shift_x": (-2.0, 2.0),
    "shift_y": (-2.0, 2.0),
    "brightness": (-0.1, 0.1),
    "rotate_2d": (-10.0, 10.0),
    "rotate_3d": (-15.0, 15.0),
}
MODERATE = {
    "zoom": (0.7, 1.4),
    "shift_x": (-4.0, 4.0),
    "shift_y": (-4.0, 4.0),
    "brightness": (-0.2, 0.2),
    "rotate_2d": (-20.0, 20.0),
    "rotate_3d": (-30.0, 30.0),
}


def moderate_rows(gan, walks, classifier, images: int, table: dict, project_steps: int = 0) -> dict[str, dict]:
    rows = {}
    for edit, alphas in table.items():
        f = [steerability(gan, walks, edit, a, classifier, images, project_steps=project_steps) for a in alphas]
        rows[edit] = {
            k: sum(x[k] for x in f) / len(f)
            for k in (
                "relative_l2",
                "relative_l2_mean",
                "relative_l2_squared_pooled",
                "class_accuracy",
                "target_class_accuracy",
            )
        }
        rows[edit]["worst"] = max(x["relative_l2"] for x in f)
        rows[edit]["moves"] = " / ".join(f"{x['achieved']:.2g} of {x['target']:.2g}" for x in f)
    return rows


def strip_ms(gan, walks, project_steps: int, repeats: int = 10) -> float:
    times = []
    for i in range(repeats):
        start = time.perf_counter()
        generator = torch.Generator().manual_seed(i)
        walk_strip(
            gan, "zoom", 1.5, 9, class_labels=i % 10, generator=generator, walks=walks, project_steps=project_steps
        )
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def api_latency(repeats: int = 20) -> None:
    """/steer_walk (9 frames) through gradio_client beside /vae_sample of one image (the cheapest model call: the
    round-trip floor of gradio itself), the app started here on 127.0.0.1."""
    from gradio_client import Client

    import app
    from space import LAUNCH

    _, url, _ = app.demo.launch(**{**LAUNCH, "server_name": "127.0.0.1", "prevent_thread_lock": True, "quiet": True})
    client = Client(url, verbose=False)
    calls = {
        "/vae_sample (1 image: the floor)": dict(model="fashion-vae", num_images=1, seed=0, api_name="/vae_sample"),
        "/steer_walk (9 frames, GIF)": dict(
            model="fashion-ebgan", class_name="Bag", seed=0, edit="zoom", alpha=1.5, frames=9, api_name="/steer_walk"
        ),
    }
    print("\n| endpoint via gradio_client | median ms |\n|---|---|")
    for name, kwargs in calls.items():
        client.predict(**kwargs)
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            client.predict(**kwargs)
            times.append(time.perf_counter() - start)
        print(f"| {name} | {statistics.median(times) * 1e3:.1f} |", flush=True)
    app.demo.close()


def opencv_rows(gan, walks, images: int) -> None:
    """The projected walks (projected onto genhub's targets, as the Space does) measured against the edits written
    again with OpenCV (bench/opencv_edits.py) beside genhub's own, at the moderate alphas and half of them."""
    import opencv_edits  # noqa: PLC0415

    def ratio(walked, start, target, mask) -> float:
        moved, still = (((x - target) ** 2 * mask).flatten(1).sum(1) for x in (walked, start))
        return float((moved / still.clamp_min(1e-12)).sqrt().median())

    print("\n| edit @ alpha | relative L2 vs genhub's edit | vs OpenCV's edit | difference |\n|---|---|---|---|")
    z, y = gan.sample_inputs(images, None, None, 1.0, torch.Generator().manual_seed(7))
    start = gan.generate(latents=z, class_labels=y)  # the same items for every edit and alpha
    for edit in EDITS:
        for alpha in (*HALF[edit], *MODERATE[edit]):
            ours, inside = edit_images(start, edit, alpha)
            theirs, inside_theirs = opencv_edits.edit(start, edit, alpha)
            walked = gan.generate(
                latents=project(gan, walks(z, {edit: alpha}), y, ours, inside, PROJECT_STEPS), class_labels=y
            )
            a, b = ratio(walked, start, ours, inside), ratio(walked, start, theirs, inside_theirs)
            print(f"| {edit} @ {alpha:g} | {a:.3f} | {b:.3f} | {b - a:+.3f} |", flush=True)


def fid_rows(gan, walks, classifier, images: int) -> None:
    """Issue 34's sharpness check: classifier-FID (the evaluation classifier's features, as the GANs' cards) of the
    walked images against the same edit of real test images, beside the edit of the unwalked samples against it
    (what a perfect walk would score) and the unsteered samples against the real images; all at `images` each."""
    real = data.as_float_images(data.load_fashion_mnist("test")[0])[:images]
    z, y = gan.sample_inputs(images, None, None, 1.0, torch.Generator().manual_seed(11))
    start = gan.generate(latents=z, class_labels=y)
    unsteered = frechet_distance(features_of(classifier, real), features_of(classifier, start))
    print(f"\nunsteered samples vs real test images: FID {unsteered:.1f} ({images} each)\n")
    print("| edit @ alpha | walk | walk projected | target edit of the samples (a perfect walk) |\n|---|---|---|---|")
    for edit in EDITS:
        for alpha in (*HALF[edit], *MODERATE[edit]):
            reference = features_of(classifier, edit_images(real, edit, alpha)[0])
            target, mask = edit_images(start, edit, alpha)
            codes = walks(z, {edit: alpha})
            walked = gan.generate(latents=codes, class_labels=y)
            projected = gan.generate(latents=project(gan, codes, y, target, mask, PROJECT_STEPS), class_labels=y)
            cells = [frechet_distance(reference, features_of(classifier, x)) for x in (walked, projected, target)]
            print(f"| {edit} @ {alpha:g} | " + " | ".join(f"{c:.1f}" for c in cells) + " |", flush=True)


VARIANTS = {"walk": 0, f"walk + {PROJECT_STEPS} projection steps": PROJECT_STEPS}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=500)
    parser.add_argument("--api-only", action="store_true", help="only the API round trip of /steer_walk")
    parser.add_argument("--opencv", action="store_true", help="only the verdict against OpenCV's edits")
    parser.add_argument("--fid", action="store_true", help="only the FID of walked images vs edited real ones")
    args = parser.parse_args()
    if args.fid:
        print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; {args.images} images per alpha")
        for name in ("fashion-ebgan", "fashion-dcgan"):
            print(f"\n### `{name}`: classifier-FID against the edit of real test images")
            gan, walks = genhub.load_model(name), genhub.load_model(f"{name}-walks")
            fid_rows(gan, walks, genhub.load_model("fashion-classifier"), args.images)
        return None
    if args.api_only:
        return api_latency()
    if args.opencv:
        print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; {args.images} images per alpha")
        for name in ("fashion-ebgan", "fashion-dcgan"):
            print(f"\n### `{name}`, projected walks ({PROJECT_STEPS} steps)")
            opencv_rows(genhub.load_model(name), genhub.load_model(f"{name}-walks"), args.images)
        return None
    classifier = genhub.load_model("fashion-classifier")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    for name in ("fashion-ebgan", "fashion-dcgan"):
        gan, walks = genhub.load_model(name), genhub.load_model(f"{name}-walks")
        for title, table in (("moderate alphas", MODERATE), ("half the moderate alphas", HALF)):
            print(f"\n### `{name}`: {title} {table}, {args.images} images of random classes per alpha\n")
            print(
                "relative L2 = per image ||mask (walk - target)|| / ||mask (start - target)||: median (mean) over the "
                "images, averaged over the two alphas, the worse alpha's median after the slash; [squared, pooled]: "
                "the ratio of summed squared errors (the figure reported before issue 34)\n"
            )
            header = " | ".join(
                f"{k}: relative L2 / worse alpha (mean) [squared, pooled] | {k}: achieved of target | "
                f"{k}: class acc. walk / target"
                for k in VARIANTS
            )
            print(f"| edit | {header} |\n|---|" + "---|---|---|" * len(VARIANTS))
            rows = {
                k: moderate_rows(gan, walks, classifier, args.images, table, steps) for k, steps in VARIANTS.items()
            }
            for edit in table:
                cells = [
                    f"{r['relative_l2']:.3f} / {r['worst']:.3f} ({r['relative_l2_mean']:.3f}) "
                    f"[{r['relative_l2_squared_pooled']:.3f}] | {r['moves']} | "
                    f"{r['class_accuracy']:.3f} / {r['target_class_accuracy']:.3f}"
                    for r in (rows[k][edit] for k in VARIANTS)
                ]
                print(f"| {edit} | " + " | ".join(cells) + " |", flush=True)
        print("\n| 9-frame strip | median ms |\n|---|---|")
        for key, steps in VARIANTS.items():
            print(f"| {key} | {strip_ms(gan, walks, steps):.1f} |", flush=True)
        print(f"\nFull range, the walk alone ({args.images // 2} images per alpha): relative L2 / achieved of target\n")
        print("| edit | " + " | ".join(f"a{i}" for i in range(7)) + " |\n|---|" + "---|" * 7)
        for edit, spec in EDITS.items():
            cells = []
            for a in spec.alphas(7):
                f = steerability(gan, walks, edit, a, None, args.images // 2)
                cells.append(f"α={a:.3g}: {f['relative_l2']:.2f} / {f['achieved']:.2g} of {f['target']:.2g}")
            print(f"| {edit} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
