"""The PNG on each model card, one function per family (its row in genhub.train.families names it): what the model
does to test images, or what it draws."""

from __future__ import annotations

import torch

from ..images import example_photo, grid, png_bytes
from ..models import load_model
from ..models.autoencoder import corrupt
from ..models.super_resolution import bicubic, rgb_to_ycbcr, ycbcr_to_rgb
from ..models.walks import EDITS
from .recipes import Recipe

COLUMNS = 12  # images a row


def _png(rows: torch.Tensor, ncols: int = COLUMNS) -> bytes:
    return png_bytes(grid(rows, ncols=ncols, scale=3))


@torch.no_grad()
def autoencoder_preview(model, recipe: Recipe, split: dict) -> bytes:
    """Rows: test images x, the corrupted x_tilde, the reconstruction of x_tilde."""
    x, generator = split["test_images"][:COLUMNS], torch.Generator().manual_seed(0)
    x_tilde = corrupt(x, model.config.noise_type, model.config.noise_level, generator)
    return _png(torch.cat([x, x_tilde, model.reconstruct(x_tilde)]))


@torch.no_grad()
def vae_preview(model, recipe: Recipe, split: dict) -> bytes:
    """Rows: test images, their reconstructions from the mean code, two rows of samples."""
    x, generator = split["test_images"][:COLUMNS], torch.Generator().manual_seed(0)
    return _png(torch.cat([x, model(x, sample=False).reconstruction, model.generate(2 * COLUMNS, generator=generator)]))


@torch.no_grad()
def classifier_preview(model, recipe: Recipe, split: dict) -> bytes:
    """One row per predicted class: test images the classifier puts in it."""
    images = split["test_images"][:2000]
    predicted = model.eval().predict(images)
    return _png(torch.cat([images[predicted == c][:COLUMNS] for c in range(model.config.num_classes)]))


@torch.no_grad()
def caption_preview(model, recipe: Recipe, split: dict) -> bytes:
    """Six images for each of twelve captions (four colours by three items), two captions a row."""
    captions = [f"a {c} {item}" for c in ("red", "blue", "yellow", "white") for item in ("dress", "sneaker", "bag")]
    return _png(model.generate(captions, num_images_per_caption=6, generator=torch.Generator().manual_seed(0)))


@torch.no_grad()
def walks_preview(model, recipe: Recipe, split: dict) -> bytes:
    """One row per edit: the generator's sneaker walked over nine alphas of the edit's range."""
    gan = load_model(recipe.config["generator_name"])
    z, y = gan.sample_inputs(1, "Sneaker", None, 1.0, torch.Generator().manual_seed(0))
    rows = [gan.generate(latents=model(z, {edit: a}), class_labels=y) for edit in EDITS for a in EDITS[edit].alphas(9)]
    return _png(torch.cat(rows), ncols=9)


@torch.no_grad()
def super_resolution_preview(model, recipe: Recipe, split: dict) -> bytes:
    """A dataset's test images: rows bicubic / the model / the original, downscaled and restored (a YCbCr model's in
    YCbCr, shown in RGB); photos: see below."""
    if recipe.dataset == "photos":
        return photo_preview(model)
    x = split["test_images"][:: max(1, len(split["test_images"]) // COLUMNS)][:COLUMNS]  # spread over the classes
    side = x.shape[2]
    low = bicubic(x, (side // model.config.scale,) * 2)
    if model.config.colour_space == "ycbcr":
        restored = ycbcr_to_rgb(model(rgb_to_ycbcr(low)).images).clamp(0, 1)
    else:
        restored = model(low).images
    return _png(torch.cat([bicubic(low, (side, side)), restored, x]))


@torch.no_grad()
def photo_preview(model) -> bytes:
    """Columns bicubic / the model / the original, on 96-px centre crops of three example photos upscaled x2."""
    tiles = []
    for name in ("camera", "astronaut", "chelsea"):
        truth = example_photo(name, 256)
        truth = truth.expand(1, 3, 256, 256) if truth.shape[1] == 1 else truth
        low = bicubic(truth, (128, 128))
        out = ycbcr_to_rgb(model(rgb_to_ycbcr(low)).images)
        tiles += [x[:, :, 80:176, 80:176] for x in (bicubic(low, (256, 256)), out, truth)]
    return png_bytes(grid(torch.cat(tiles), ncols=3, scale=2))


@torch.no_grad()
def samples_preview(model, recipe: Recipe, split: dict) -> bytes:
    """A class-conditional generator's samples: one row per class."""
    labels = torch.arange(model.config.num_classes).repeat_interleave(COLUMNS)
    return _png(model.generate(len(labels), class_labels=labels, generator=torch.Generator().manual_seed(0)))
