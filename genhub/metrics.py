"""Evaluation figures: reconstruction losses, contraction, ELBO, PSNR.

All losses follow the lecture's convention: per-image sum over pixels, mean over images (nats/image
for BCE and the ELBO).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .images import HOLE_KINDS, random_holes
from .models.autoencoder import NOISE_TYPES, corrupt, reconstruction_loss


def psnr(images: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
    """Peak signal-to-noise ratio in dB per image, for images in [0, 1]; shape (N,)."""
    mse = (images - reference).pow(2).flatten(1).mean(1).clamp_min(1e-12)
    return 10 * torch.log10(1.0 / mse)


def masked_psnr(images: torch.Tensor, reference: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """PSNR in dB per image over the pixels where mask (N, 1, H, W) is 1 (e.g. an inpainted hole); shape (N,)."""
    mse = ((images - reference) ** 2 * mask).flatten(1).sum(1) / (mask.flatten(1).sum(1) * images.shape[1]).clamp_min(1)
    return 10 * torch.log10(1.0 / mse.clamp_min(1e-10))


def _batches(images: torch.Tensor, batch_size: int):
    for start in range(0, len(images), batch_size):
        yield images[start : start + batch_size]


@torch.no_grad()
def evaluate_autoencoder(
    model, images: torch.Tensor, noise_level: float = 0.5, seed: int = 0, batch_size: int = 1000
) -> dict[str, float]:
    """Test figures: clean loss (the model's own l), per-pixel MSE, PSNR, mean ||dh/dx||_F^2, and the
    loss against the clean image when the input is corrupted by each noise type at `noise_level`."""
    model.eval()
    kind = model.config.reconstruction_loss
    sums: dict[str, float] = {}
    generator = torch.Generator().manual_seed(seed)
    for x in _batches(images, batch_size):
        x_hat = model.decode(model.encode(x))
        parts = {
            "loss": reconstruction_loss(x, x_hat, kind),
            "mse_per_pixel": (x - x_hat).pow(2).mean(),
            "psnr_db": psnr(x_hat, x).mean(),
            "jacobian_frobenius_sq": model.contractive_penalty(x).mean(),
        }
        for noise in NOISE_TYPES[1:]:
            x_tilde = corrupt(x, noise, noise_level, generator)
            parts[f"loss_{noise}"] = reconstruction_loss(x, model.decode(model.encode(x_tilde)), kind)
        for name, value in parts.items():
            sums[name] = sums.get(name, 0.0) + float(value) * len(x)
    return {name: total / len(images) for name, total in sums.items()}


@torch.no_grad()
def evaluate_vae(model, images: torch.Tensor, seed: int = 0, batch_size: int = 1000) -> dict[str, float]:
    """Test figures in nats per image: -ELBO = reconstruction + KL (beta = 1, one z sample per image),
    its two terms, the trained objective (with the model's beta), and active latent units (Var E(z) > 0.01)."""
    model.eval()
    generator = torch.Generator().manual_seed(seed)
    totals = {"reconstruction": 0.0, "kl": 0.0}
    means = []
    for x in _batches(images, batch_size):
        out = model(x, generator=generator)
        totals["reconstruction"] += float(out.reconstruction_loss) * len(x)
        totals["kl"] += float(out.kl) * len(x)
        means.append(out.mean)
    rec, kl = totals["reconstruction"] / len(images), totals["kl"] / len(images)
    active = int((torch.cat(means).var(0) > 0.01).sum())
    return {
        "negative_elbo": rec + kl,
        "reconstruction": rec,
        "kl": kl,
        "objective": rec + model.config.beta * kl,
        "active_units": active,
    }


@torch.no_grad()
def two_stage_negative_elbo(model, images: torch.Tensor, seed: int = 0, batch_size: int = 1000) -> float:
    """-ELBO (nats per image, one sample) of a two-stage VAE with its second stage as the prior of z:
    E_q[-log p(x|z)] + E_q[log q(z|x)] + (-ELBO of z under the second stage), an upper bound on -log p(x)
    like the first stage's -ELBO with N(0, I) (Bernoulli likelihood of the grey levels in both)."""
    model.eval()
    generator = torch.Generator().manual_seed(seed)
    total = 0.0
    for x in _batches(images, batch_size):
        mean, logvar = model.encode(x)
        std = (0.5 * logvar).exp()
        z = mean + std * torch.randn(mean.shape, generator=generator)
        rec = F.binary_cross_entropy_with_logits(model.decode_logits(z), x, reduction="none").flatten(1).sum(1)
        log_q = torch.distributions.Normal(mean, std).log_prob(z).sum(1)
        total += float((rec + log_q + model.second_stage(z, generator)).sum())
    return total / len(images)


@torch.no_grad()
def vae_sample_quality(model, classifier, test_images: torch.Tensor, num_samples: int = 10000, seed: int = 0):
    """Classifier-FID of num_samples VAE samples against the test images; a two-stage VAE also through its first
    stage alone (z ~ N(0, I)), which shows what the second stage adds."""
    real = features_of(classifier, test_images)
    figures = {}
    for key, stages in (("sample_fid", None), ("sample_fid_first_stage_prior", 1)):
        if stages == 1 and not model.config.second_stage_hidden_size:
            continue
        generator = torch.Generator().manual_seed(seed)
        samples = torch.cat(
            [model.generate(1000, generator=generator, stages=stages) for _ in range(num_samples // 1000)]
        )
        figures[key] = frechet_distance(real, features_of(classifier, samples))
    return figures


@torch.no_grad()
def features_of(classifier, images: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
    """The evaluation classifier's penultimate features (N, feature_dim), in float64."""
    classifier.eval()
    return torch.cat(
        [classifier.features(images[i : i + batch_size]) for i in range(0, len(images), batch_size)]
    ).double()


def frechet_distance(features_a: torch.Tensor, features_b: torch.Tensor) -> float:
    """FID between two feature sets: |mu_a - mu_b|^2 + Tr(S_a + S_b - 2 (S_a^1/2 S_b S_a^1/2)^1/2)."""
    mu_a, mu_b = features_a.mean(0), features_b.mean(0)
    cov_a, cov_b = torch.cov(features_a.T), torch.cov(features_b.T)
    vals, vecs = torch.linalg.eigh(cov_a)
    sqrt_a = vecs @ torch.diag(vals.clamp_min(0).sqrt()) @ vecs.T  # S_a^1/2
    cross = torch.linalg.eigvalsh(sqrt_a @ cov_b @ sqrt_a).clamp_min(0).sqrt().sum()  # Tr((S_a^1/2 S_b S_a^1/2)^1/2)
    return float((mu_a - mu_b).pow(2).sum() + cov_a.trace() + cov_b.trace() - 2 * cross)


def precision_recall(real: torch.Tensor, fake: torch.Tensor, k: int = 3) -> tuple[float, float]:
    """k-NN precision and recall (Kynkäänniemi et al. 2019): the share of fake features inside the real
    manifold (union of balls to each real point's k-th neighbour), and of real features inside the fake one."""

    def radii(x):  # distance of each point to its k-th nearest neighbour in its own set
        return torch.cat(
            [torch.cdist(x[i : i + 1000], x).kthvalue(k + 1, dim=1).values for i in range(0, len(x), 1000)]
        )

    def inside(points, support, support_radii):
        chunks = [(torch.cdist(p, support) <= support_radii).any(1) for p in points.split(1000)]
        return float(torch.cat(chunks).float().mean())

    return inside(fake, real, radii(real)), inside(real, fake, radii(fake))


def class_histogram(labels: torch.Tensor, num_classes: int) -> torch.Tensor:
    return torch.bincount(labels, minlength=num_classes).double() / len(labels)


def mode_coverage_kl(predicted: torch.Tensor, reference: torch.Tensor, num_classes: int) -> float:
    """KL(p_samples || p_reference) of classifier-predicted class histograms (0 = every mode in proportion)."""
    p, q = class_histogram(predicted, num_classes), class_histogram(reference, num_classes)
    p = p.clamp_min(1e-12)
    return float((p * (p / q.clamp_min(1e-12)).log()).sum())


@torch.no_grad()
def evaluate_classifier(classifier, images: torch.Tensor, labels: torch.Tensor) -> dict[str, float]:
    """Accuracy and worst class's accuracy (and, where the classes are not all the same size, the balanced accuracy:
    the mean of the per-class accuracies); for a partial view also the accuracy with each kind of random hole
    (HOLE_KINDS, seeded) as `accuracy_<kind>_hidden`."""
    predicted = classifier.predict(images)
    present = [c for c in range(classifier.config.num_classes) if (labels == c).any()]
    per_class = [float((predicted[labels == c] == c).float().mean()) for c in present]
    figures = {"accuracy": float((predicted == labels).float().mean()), "worst_class_accuracy": min(per_class)}
    if len(set(torch.bincount(labels).tolist())) > 1:
        figures["balanced_accuracy"] = sum(per_class) / len(per_class)
    if getattr(classifier.config, "partial_view", False):
        for kind in HOLE_KINDS[1:]:
            mask = random_holes(len(images), images.shape[-1], torch.Generator().manual_seed(0), kind)
            figures[f"accuracy_{kind}_hidden"] = float((classifier.predict(images, mask=mask) == labels).float().mean())
    return figures


@torch.no_grad()
def evaluate_gan(
    model,
    classifier,
    test_images: torch.Tensor,
    test_labels: torch.Tensor,
    reference_images: torch.Tensor,
    num_samples: int = 10000,
    seed: int = 0,
    pr_samples: int = 5000,
) -> dict[str, float]:
    """Samples (classes balanced, or as often as in the test set where its classes differ in size) against the test
    set: classifier-FID, conditional accuracy, mode coverage (KL of the class histogram of unconditional samples),
    k-NN precision/recall; and the real-vs-real floors (reference_images, e.g. train images, against the test set)."""
    model.eval()
    generator = torch.Generator().manual_seed(seed)
    c = model.config.num_classes
    balanced = bool((torch.bincount(test_labels, minlength=c) == len(test_labels) // c).all())
    requested = (  # unbalanced: as often as in the test set (the emoji's groups: 2% to 60%)
        torch.arange(c).repeat_interleave(num_samples // c)
        if balanced
        else test_labels[torch.randint(len(test_labels), (num_samples,), generator=generator)]
    )
    parts = requested.split(1000)
    samples = torch.cat([model.generate(len(part), class_labels=part, generator=generator) for part in parts])
    unconditional = torch.cat(  # random classes: uniform, or as often as in the test set
        [model.generate(len(part), class_labels=None if balanced else part, generator=generator) for part in parts]
    )
    real, fake, floor = (features_of(classifier, x) for x in (test_images, samples, reference_images))
    precision, recall = precision_recall(real[:pr_samples], fake[:: max(1, len(fake) // pr_samples)][:pr_samples])
    floor_p, floor_r = precision_recall(real[:pr_samples], floor[:pr_samples])
    return {
        "fid": frechet_distance(real, fake),
        "fid_floor": frechet_distance(real, floor),
        "conditional_accuracy": float((classifier.predict(samples) == requested).float().mean()),
        "conditional_accuracy_floor": evaluate_classifier(classifier, test_images, test_labels)["accuracy"],
        "mode_kl": mode_coverage_kl(classifier.predict(unconditional), test_labels, c),
        "precision": precision,
        "recall": recall,
        "precision_floor": floor_p,
        "recall_floor": floor_r,
    }


def ssim(images: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
    """Structural similarity per image (scikit-image, gaussian-free 7x7 windows, data range 1); shape (N,)."""
    from skimage.metrics import structural_similarity

    values = []
    for x, r in zip(images.detach().cpu().numpy(), reference.detach().cpu().numpy()):
        values.append(structural_similarity(x, r, channel_axis=0, data_range=1.0, win_size=7))
    return torch.tensor(values)


@torch.no_grad()
def evaluate_super_resolution(model, images: torch.Tensor, batch_size: int = 1000) -> dict[str, float]:
    """Downscale each image by the model's factor, restore it with the model and with bicubic, compare."""
    from .models.super_resolution import bicubic, from_ycbcr, to_ycbcr

    model.eval()
    low_side = images.shape[2] // model.config.scale
    sums = {"psnr": 0.0, "ssim": 0.0, "psnr_bicubic": 0.0, "ssim_bicubic": 0.0}
    ycc = model.config.colour_space == "ycbcr"  # a colour model works in YCbCr; compared in RGB
    for start in range(0, len(images), batch_size):
        x = images[start : start + batch_size]
        out = model(bicubic(to_ycbcr(x) if ycc else x, (low_side, low_side)))
        for suffix, restored in (("", out.images), ("_bicubic", out.bicubic)):
            restored = from_ycbcr(restored, x.shape[1]).clamp(0, 1) if ycc else restored
            sums[f"psnr{suffix}"] += float(psnr(restored, x).sum())
            sums[f"ssim{suffix}"] += float(ssim(restored, x).sum())
    return {k: v / len(images) for k, v in sums.items()}


def image_moments(images: torch.Tensor) -> dict[str, torch.Tensor]:
    """Per image (N,): centroid x/y (pixels), spread (sqrt of the trace of the intensity covariance),
    principal-axis angle (degrees, counter-clockwise on screen), mean intensity, and log(right/left mass)."""
    n, _, h, w = images.shape
    m = images.mean(1).clamp_min(0) + 1e-8  # (N, H, W)
    ys, xs = torch.meshgrid(torch.arange(h, dtype=m.dtype), torch.arange(w, dtype=m.dtype), indexing="ij")
    total = m.sum((1, 2))
    cx, cy = (m * xs).sum((1, 2)) / total, (m * ys).sum((1, 2)) / total
    dx, dy = xs - cx[:, None, None], ys - cy[:, None, None]
    cxx, cyy, cxy = (
        (m * dx * dx).sum((1, 2)) / total,
        (m * dy * dy).sum((1, 2)) / total,
        (m * dx * dy).sum((1, 2)) / total,
    )
    angle = torch.rad2deg(0.5 * torch.atan2(-2 * cxy, cxx - cyy))  # y points down: negate for counter-clockwise
    right, left = m[:, :, w // 2 :].sum((1, 2)), m[:, :, : w // 2].sum((1, 2))
    return {
        "centroid_x": cx,
        "centroid_y": cy,
        "spread": (cxx + cyy).sqrt(),
        "angle": angle,
        "intensity": images.mean((1, 2, 3)),
        "log_right_left": (right / left).log(),
    }


@torch.no_grad()
def steerability(
    model, walks, edit: str, alpha: float, classifier=None, num_images: int = 200, seed: int = 0, project_steps: int = 0
):
    """How far the walk for `edit` achieves edit(G(z), alpha): the masked L2 distance of the walk to the target
    relative to that of the unwalked image, per image, median over images (1 = no better than not moving, 0 =
    exact), the achieved vs the target transformation measured on the images, and the classifier's accuracy on the
    requested class along the walk. project_steps > 0: the walked codes projected onto the targets first."""
    from .models.walks import EDITS, edit_images, project  # noqa: PLC0415

    generator = torch.Generator().manual_seed(seed)
    latents, labels = model.sample_inputs(num_images, None, None, 1.0, generator)
    start = model.generate(latents=latents, class_labels=labels)
    target, mask = edit_images(start, edit, alpha)
    codes = project(model, walks(latents, {edit: alpha}), labels, target, mask, project_steps)
    walked = model.generate(latents=codes, class_labels=labels)

    def masked_sq(x):  # masked squared error per image (N,)
        return ((x - target) ** 2 * mask).flatten(1).sum(1)

    # relative L2 as defined (issue 34): per image ||mask (walk - target)|| / ||mask (start - target)||, the median
    # and the mean over images; the earlier figure, the ratio of the pooled squared errors, kept beside them
    ratio = (masked_sq(walked) / masked_sq(start).clamp_min(1e-12)).sqrt()
    name, measure = EDITS[edit].measure_name, EDITS[edit].measure
    m0, mt, mw = image_moments(start), image_moments(target), image_moments(walked)
    figures = {
        "relative_l2": float(ratio.median()),
        "relative_l2_mean": float(ratio.mean()),
        "relative_l2_squared_pooled": float(masked_sq(walked).sum() / masked_sq(start).sum().clamp_min(1e-12)),
        "measure": name,
        "target": float(measure(mt, m0).median()),
        "achieved": float(measure(mw, m0).median()),
    }
    if classifier is not None:
        figures["class_accuracy"] = float((classifier.predict(walked) == labels).float().mean())
        # a classifier trained on centred items misreads edited ones too: its accuracy on the target edits
        figures["target_class_accuracy"] = float((classifier.predict(target) == labels).float().mean())
    return figures


def walk_alphas_for(edit: str) -> list[float]:
    """The alphas the card and the bench report: both ends of the range and half-way to each (in walk steps)."""
    from .models.walks import EDITS  # noqa: PLC0415

    return [EDITS[edit].from_step(a) for a in (-1.0, -0.5, 0.5, 1.0)]


@torch.no_grad()
def evaluate_walks(model, walks, classifier=None, num_images: int = 200) -> dict[str, dict]:
    """steerability for every edit at the alphas of walk_alphas_for, the learned walk alone and (on half the images)
    projected by PROJECT_STEPS steps (`relative_l2_projected`, `achieved_projected`); keys "edit @ alpha"."""
    from .models.walks import PROJECT_STEPS  # noqa: PLC0415

    figures = {}
    for edit in walks.config.edits:
        for alpha in walk_alphas_for(edit):
            f = steerability(model, walks, edit, alpha, classifier, num_images)
            p = steerability(model, walks, edit, alpha, None, max(1, num_images // 2), project_steps=PROJECT_STEPS)
            f |= {"relative_l2_projected": p["relative_l2"], "achieved_projected": p["achieved"]}
            figures[f"{edit} @ {alpha:.3g}"] = f
    return figures


def grey_of(images: torch.Tensor) -> torch.Tensor:
    """Tinted items (N, 3, H, W) -> their grey level (N, 1, H, W): the largest channel, stretched so each item's
    brightest pixel is 1 (a dark colour such as black or grey keeps its shape)."""
    grey = images.max(1, keepdim=True).values
    return grey / grey.amax(dim=(1, 2, 3), keepdim=True).clamp_min(1e-6)


def dominant_colour(images: torch.Tensor, palette: torch.Tensor) -> torch.Tensor:
    """Index into palette (K, 3) of each image's colour: the mean RGB of its brightest pixels (largest channel at
    least 80% of the item's peak), nearest palette colour in RGB, so brightness counts (white, grey, black)."""
    level = images.max(1).values.flatten(1)  # (N, H * W)
    top = (level >= 0.8 * level.amax(1, keepdim=True)).float()[:, None, :]  # (N, 1, H * W)
    mean = (images.flatten(2) * top).sum(2) / top.sum(2).clamp_min(1)  # (N, 3)
    return torch.cdist(mean, palette.to(mean)).argmin(1)


@torch.no_grad()
def evaluate_text_gan(model, classifier, sets: dict, palette: torch.Tensor, real_by_class: dict, seed: int = 0):
    """Per evaluation set {name: (captions, labels, colours)}: the classifier's accuracy on the requested class,
    colour accuracy from the pixels, mean per-class classifier-FID against real test items of the class (and
    its floor: two disjoint sets of real items of the same sizes), and R-precision in the joint embedding
    (R = 1 among the true caption and 99 random others of the set; a hit when the top caption asks for the
    same class and colour, since captions repeat their content in other words)."""
    generator = torch.Generator().manual_seed(seed)
    figures = {}
    for name, (captions, labels, colours) in sets.items():
        images = torch.cat(
            [model.generate(captions[i : i + 200], generator=generator) for i in range(0, len(captions), 200)]
        )
        grey = grey_of(images)
        fids, floors = [], []
        for c in labels.unique().tolist():
            n = int((labels == c).sum())
            if n < 20:
                continue
            real = features_of(classifier, real_by_class[c])
            fids.append(frechet_distance(real[:n], features_of(classifier, grey[labels == c])))
            floors.append(frechet_distance(real[:n], real[n : 2 * n]) if len(real) >= 2 * n else float("nan"))
        text = torch.cat([model.encode_text(captions[i : i + 500]) for i in range(0, len(captions), 500)])
        picture = model.encode_image(images)
        hits = []
        for i in range(len(captions)):
            others = torch.randint(len(captions) - 1, (99,), generator=generator)
            others = others + (others >= i).long()  # 99 other captions
            candidates = torch.cat([torch.tensor([i]), others])
            top = candidates[(picture[i] @ text[candidates].t()).argmax()]
            hits.append(bool(labels[top] == labels[i] and colours[top] == colours[i]))
        figures[name] = {
            "class_accuracy": float((classifier.predict(grey) == labels).float().mean()),
            "colour_accuracy": float((dominant_colour(images, palette) == colours).float().mean()),
            "per_class_fid": sum(fids) / max(1, len(fids)),
            "per_class_fid_floor": sum(floors) / max(1, len(floors)),
            "r_precision": sum(hits) / len(hits),
            "captions": len(captions),
        }
    return figures
