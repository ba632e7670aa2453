"""The table of families: for each, the config and model classes, how it trains and how it is evaluated.
A new family is one row here (and its model module)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import torch

from .. import data
from ..hub import save_checkpoint, weights_revision
from ..images import EXAMPLE_PHOTOS, example_photo
from ..metrics import (
    evaluate_autoencoder,
    evaluate_classifier,
    evaluate_gan,
    evaluate_super_resolution,
    evaluate_text_gan,
    evaluate_vae,
    evaluate_walks,
    psnr,
    two_stage_negative_elbo,
    vae_sample_quality,
)
from ..models import (
    CHECKPOINTS_DIR,
    EBGAN,
    VAE,
    Autoencoder,
    AutoencoderConfig,
    Classifier,
    ClassifierConfig,
    EBGANConfig,
    VAEConfig,
    load_model,
)
from ..models.diffusion import Diffusion, DiffusionConfig
from ..models.super_resolution import (
    SuperResolution,
    SuperResolutionConfig,
    bicubic,
    from_ycbcr,
    to_ycbcr,
)
from ..models.text_gan import TextGAN, TextGANConfig
from ..models.walks import Walks, WalksConfig
from .caption_loop import train_text_gan
from .cards import (
    SCORECARD_SECTION,
    CardShape,
    diagnostics_plot,
    figures_table,
    gan_summary,
    scorecard_plot,
    tokenizer_files,
    walks_table,
)
from .loop import train_gan, train_model, train_photo_super_resolution, train_second_stage, train_super_resolution
from .previews import (
    autoencoder_preview,
    caption_preview,
    classifier_preview,
    samples_preview,
    super_resolution_preview,
    vae_preview,
    walks_preview,
)
from .recipes import CLASSIFIER, Recipe

DIFFUSION_EVAL_SAMPLES = 2000  # the card's sample count (20 sampler steps each); bench_diffusion measures 10,000


@dataclass
class Trained:
    """What a family's training returns: the model, its loss history, extra files, card diagnostics, log fields."""

    model: object
    history: list[float]
    extras: dict[str, bytes] = field(default_factory=dict)
    diagnostics: str = ""
    log: dict = field(default_factory=dict)


def _train_plain(recipe: Recipe, split: dict, accelerator, max_steps, name: str, run=None) -> Trained:
    model, history = train_model(
        build_model(recipe),
        split["train_images"],
        recipe,
        accelerator,
        max_steps,
        labels=split["train_labels"],
        run=run,
        with_labels=FAMILIES[recipe.family].trains_on_labels,
    )
    return Trained(model, history)


def _train_vae(recipe: Recipe, split: dict, accelerator, max_steps, name: str, run=None) -> Trained:
    """A VAE (its stages), then its class prior p(z | c) from the training images' (first stage's) codes."""
    trained = _train_vae_stages(recipe, split, accelerator, max_steps, name, run)
    if trained.model.config.num_classes:
        fit_class_prior(trained.model, split["train_images"], split["train_labels"])
    return trained


def _train_vae_stages(recipe: Recipe, split: dict, accelerator, max_steps, name: str, run=None) -> Trained:
    """With a second stage, the first trains alone (as a one-stage model), then the second on its codes."""
    if not recipe.config.get("second_stage_hidden_size"):
        return _train_plain(recipe, split, accelerator, max_steps, name, run)
    first = replace(recipe, config=dict(recipe.config, second_stage_hidden_size=0, num_classes=0))
    stage_one = _train_plain(first, split, accelerator, max_steps, name, run)
    model = build_model(recipe)
    missing, unexpected = model.load_state_dict(stage_one.model.state_dict(), strict=False)
    assert not unexpected and all(k.startswith(("second_stage.", "class_")) for k in missing)
    model, history = train_second_stage(model, split["train_images"], recipe, accelerator, max_steps)
    return Trained(model, stage_one.history, log={"second_stage_loss_per_epoch": history})


@torch.no_grad()
def fit_class_prior(model: VAE, images: torch.Tensor, labels: torch.Tensor, batch_size: int = 2000) -> None:
    """Fit the VAE's class prior to the codes E(z) of the training images (N, C, H, W) in [0, 1]."""
    model.eval()
    codes = [
        model.encode(images[i : i + batch_size].to(model.device, model.dtype))[0]
        for i in range(0, len(images), batch_size)
    ]
    model.fit_class_prior(torch.cat(codes), labels.to(model.device))


@torch.no_grad()
def class_prior_accuracy(model: VAE, images: torch.Tensor, labels: torch.Tensor) -> float:
    """Share of the items whose code E(z) is likeliest under their own class's Gaussian (equal class weights)."""
    codes = model.encode(images.to(model.device, model.dtype))[0]
    classes = torch.arange(model.config.num_classes, device=codes.device)
    log_det = model.class_scale_tril.diagonal(dim1=1, dim2=2).log().sum(1)  # 1/2 log |Sigma_c|
    scores = torch.stack([-model.class_prior_energy(codes, c.expand(len(codes))) - log_det[c] for c in classes], 1)
    return float((scores.argmax(1).cpu() == labels).float().mean())


def _evaluate_vae(model, recipe: Recipe, split: dict, num_samples: int) -> dict:
    figures = evaluate_vae(model, split["test_images"])
    if model.config.num_classes:
        figures["class_prior_accuracy"] = class_prior_accuracy(model, split["test_images"], split["test_labels"])
    if model.config.second_stage_hidden_size:
        figures["negative_elbo_two_stage_prior"] = two_stage_negative_elbo(model, split["test_images"])
    classifier = _watching_classifier(recipe) or load_model(CLASSIFIER)  # the dataset's evaluation classifier
    samples = vae_sample_quality(model, classifier, split["test_images"], min(num_samples, 10000))
    return figures | samples


def _watching_classifier(recipe: Recipe):
    """The evaluation classifier of the recipe's dataset (it reads a GAN's samples while it trains), if it has one."""
    spec = data.DATASETS.get(recipe.dataset)
    return load_model(spec.classifier) if spec is not None and spec.classifier else None


def _train_gan(recipe: Recipe, split: dict, accelerator, max_steps, name: str, run=None) -> Trained:
    model, steps = train_gan(
        build_model(recipe),
        split["train_images"],
        split["train_labels"],
        recipe,
        accelerator,
        _watching_classifier(recipe),
        max_steps,
        run,
    )
    steps_per_epoch = len(split["train_images"]) // recipe.batch_size
    history, diagnostics = gan_summary(steps, steps_per_epoch)
    plot = diagnostics_plot(
        steps, f"{name}: training diagnostics", model.config.objective, model.config.class_names[:10]
    )
    return Trained(
        model, history, {"diagnostics.png": plot}, diagnostics, {"steps": steps, "steps_per_epoch": steps_per_epoch}
    )


def _train_text_gan(recipe: Recipe, split: dict, accelerator, max_steps, name: str, run=None) -> Trained:
    dry = max_steps is not None
    captioned = data.load_captioned("train", limit=64 if dry else None)
    if dry:  # one epoch of each phase on 64 items (the embedding's, then the GAN's with R1 and any restart of the
        # generator), whatever max_steps
        recipe, max_steps = replace(recipe, warmup_epochs=1, epochs=1, init_generator_after=0), None
    source = load_model(recipe.init_generator) if recipe.init_generator else None
    model, history = train_text_gan(captioned, recipe, accelerator, max_steps, run, source)
    return Trained(model, history, tokenizer_files(model))


def _train_super_resolution(recipe: Recipe, split: dict, accelerator, max_steps, name: str, run=None) -> Trained:
    if recipe.dataset == "photos":
        model = build_model(recipe)
        return Trained(*train_photo_super_resolution(model, data.load_photos(), recipe, accelerator, max_steps))
    return Trained(*train_super_resolution(build_model(recipe), split["train_images"], recipe, accelerator, max_steps))


def _evaluate_super_resolution(model, recipe: Recipe, split: dict, num_samples: int) -> dict:
    """Fashion-MNIST's test set; for a photo model, PSNR on each of the six example photos (256 px crops, downscaled
    by the factor and restored by the model alone), against bicubic's."""
    if recipe.dataset != "photos":
        return evaluate_super_resolution(model, split["test_images"])
    figures = {}
    for name in EXAMPLE_PHOTOS:
        truth = example_photo(name, 256)
        low = bicubic(truth, (256 // model.config.scale,) * 2)
        with torch.no_grad():
            out = from_ycbcr(model(to_ycbcr(low)).images, truth.shape[1])
        figures[f"psnr_{name}"] = float(psnr(out, truth))
        figures[f"psnr_bicubic_{name}"] = float(psnr(bicubic(low, (256, 256)), truth))
    gains = [figures[f"psnr_{n}"] - figures[f"psnr_bicubic_{n}"] for n in EXAMPLE_PHOTOS]
    return {"mean_gain_db": sum(gains) / len(gains), "least_gain_db": min(gains), **figures}


def _train_walks(recipe: Recipe, split: dict, accelerator, max_steps, name: str, run=None) -> Trained:
    walks, history = train_walks(recipe, split, max_steps, accelerator)
    if not accelerator.is_main_process:  # the scorecard is evaluation: the main process alone
        return Trained(walks, history)
    gan = load_model(recipe.config["generator_name"])
    return Trained(walks, history, {"scorecard.png": scorecard_plot(gan, walks, 100 if max_steps is None else 10)})


def _evaluate_text_gan(model, recipe: Recipe, split: dict, num_samples: int) -> dict:
    limit = None if len(split["test_images"]) > 1000 else 2000
    real = {c: data.stretch(split["test_images"][split["test_labels"] == c]) for c in range(10)}
    palette = torch.tensor(list(data.PALETTE.values()))
    return evaluate_text_gan(model, load_model(CLASSIFIER), text_gan_eval_sets("test", limit), palette, real)


def _evaluate_walks(model, recipe: Recipe, split: dict, num_samples: int) -> dict:
    gan = load_model(recipe.config["generator_name"])
    return evaluate_walks(gan, model, load_model(CLASSIFIER), num_images=200 if num_samples > 1000 else 20)


def _evaluate_gan(model, recipe: Recipe, split: dict, num_samples: int) -> dict:
    train, count = split["train_images"], len(split["test_images"])
    reference = train[:: max(1, len(train) // count)][:count]  # spread over the train split (the emoji's is grouped)
    return evaluate_gan(
        model,
        _watching_classifier(recipe),
        split["test_images"],
        split["test_labels"],
        reference,
        num_samples=num_samples,
        pr_samples=min(5000, num_samples),
    )


@dataclass(frozen=True)
class Family:
    """One row of the table: what a family is built from, how it trains, how it is measured."""

    config_class: type
    model_class: type
    train: Callable  # (recipe, split, accelerator, max_steps, name, run) -> Trained (run: resumable state, plain loop)
    evaluate: Callable  # (model, recipe, split, num_samples) -> {figure: value}
    class_names: bool = True  # whether the config carries the dataset's class names
    data_shape: bool = True  # whether its image size and channels are the dataset's
    counts_classes: bool = False  # whether its num_classes (unless 0: none) is the dataset's number of classes
    trains_on_labels: bool = False  # plain loop: the model's loss takes the class labels too
    preview: Callable = samples_preview  # (model, recipe, split) -> the card's PNG
    card: CardShape = CardShape()  # how its card differs from the plain one
    card_files: Callable | None = None  # (model, recipe) -> {file: bytes} drawn again when a card is rewritten


def _walks_files(model, recipe: Recipe) -> dict[str, bytes]:
    return {"scorecard.png": scorecard_plot(load_model(recipe.config["generator_name"]), model)}


WALKS_CARD = CardShape(
    table=lambda name, recipe, figures: walks_table(figures),
    steps_unit="over all edits",
    sections=SCORECARD_SECTION,
    base_model_field="generator_name",
)


FAMILIES = {
    "autoencoder": Family(
        AutoencoderConfig,
        Autoencoder,
        _train_plain,
        lambda m, r, s, n: evaluate_autoencoder(m, s["test_images"]),
        preview=autoencoder_preview,
    ),
    "vae": Family(VAEConfig, VAE, _train_vae, _evaluate_vae, counts_classes=True, preview=vae_preview),
    "classifier": Family(
        ClassifierConfig,
        Classifier,
        _train_plain,
        lambda m, r, s, n: evaluate_classifier(m, s["test_images"], s["test_labels"]),
        trains_on_labels=True,
        counts_classes=True,
        preview=classifier_preview,
    ),
    "gan": Family(EBGANConfig, EBGAN, _train_gan, _evaluate_gan, counts_classes=True),
    "diffusion": Family(
        DiffusionConfig,
        Diffusion,
        _train_plain,
        lambda m, r, s, n: _evaluate_gan(m, r, s, min(n, DIFFUSION_EVAL_SAMPLES)),
        trains_on_labels=True,
        counts_classes=True,
    ),
    "super_resolution": Family(
        SuperResolutionConfig,
        SuperResolution,
        _train_super_resolution,
        _evaluate_super_resolution,
        class_names=False,
        data_shape=False,
        preview=super_resolution_preview,
    ),
    "walks": Family(
        WalksConfig,
        Walks,
        _train_walks,
        _evaluate_walks,
        class_names=False,
        data_shape=False,
        preview=walks_preview,
        card=WALKS_CARD,
        card_files=_walks_files,
    ),
    "text_gan": Family(
        TextGANConfig,
        TextGAN,
        _train_text_gan,
        _evaluate_text_gan,
        data_shape=False,  # colour images of grey items: its own shape
        preview=caption_preview,
        card=CardShape(table=lambda name, recipe, figures: figures_table(figures)),
    ),
}


def build_model(recipe: Recipe):
    """A fresh model of the recipe's family, shaped by its dataset's row: image size, channels and class names
    unless the recipe's config says otherwise, and for the class-conditional families the number of classes."""
    family, spec = FAMILIES[recipe.family], data.DATASETS.get(recipe.dataset)
    config = {k: v for k, v in recipe.config.items() if k != "walk_weight"}  # walk_weight is a training flag
    if spec is not None:
        shape = {"image_size": spec.image_size, "num_channels": spec.num_channels} if family.data_shape else {}
        names = {"class_names": list(spec.class_names)} if family.class_names else {}
        config = shape | names | config
        if family.counts_classes and config.get("num_classes", 1):  # 0: a VAE without a class prior
            config["num_classes"] = len(spec.class_names)
    return family.model_class(family.config_class(**config))


def text_gan_eval_sets(split: str = "test", limit: int | None = None) -> dict:
    """Seen phrasings and pairs, held-out phrasings, held-out colour x class pairs: (captions, labels, colours)."""
    sets = {}
    for name, phrasing, pairs in (
        ("seen", "seen", "seen"),
        ("held_out_phrasing", "held_out", "seen"),
        ("held_out_pairs", "seen", "held_out"),
    ):
        d = data.load_captioned(split, phrasing, pairs, seed=1, limit=limit)
        n = min(2000, len(d["captions"]))
        sets[name] = (d["captions"][:n], d["labels"][:n], d["colours"][:n])
    return sets


def train_walks(recipe: Recipe, split: dict, max_steps: int | None = None, accelerator=None):
    """Steerable generator: fine-tune the GAN jointly with its walks (genhub.train.steerable); the fine-tuned
    generator replaces its checkpoint (weights only; card and log kept), the walks are returned."""
    from .steerable import train_steerable  # noqa: PLC0415

    name = recipe.config["generator_name"]
    gan, walks, log = train_steerable(
        load_model(name),
        split["train_images"],
        split["train_labels"],
        epochs=1,
        batch_size=recipe.batch_size,
        learning_rate=recipe.learning_rate,
        walk_learning_rate=5e-3,
        walk_weight=recipe.config["walk_weight"],
        seed=recipe.seed,
        generator_name=name,
        max_steps=recipe.epochs if max_steps is None else max_steps,
        accelerator=accelerator,
    )
    if max_steps is None and (accelerator is None or accelerator.is_main_process):
        folder = CHECKPOINTS_DIR / name
        keep = {p.name: p.read_bytes() for p in folder.iterdir() if p.name not in ("config.json", "model.safetensors")}
        save_checkpoint(gan, folder, None, keep)
    walks.config.generator_revision = weights_revision(CHECKPOINTS_DIR / name)
    history = [r["walk_loss"] for r in log]
    return walks, [sum(history[i : i + 500]) / len(history[i : i + 500]) for i in range(0, len(history), 500)]


def evaluate(model, recipe: Recipe, split: dict, num_samples: int = 10000) -> dict:
    """The family's test figures for a trained model."""
    return FAMILIES[recipe.family].evaluate(model, recipe, split, num_samples)
