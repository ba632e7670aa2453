"""Datasets are rows: every generative family trains on another dataset at another size and in colour with no code
changes, only a row in genhub.data.DATASETS and a recipe naming it."""

from dataclasses import replace

import pytest
import torch
from accelerate import Accelerator

import genhub
from genhub import data
from genhub.operations import sample
from genhub.train import FAMILIES, RECIPES, build_model

SIZE, CLASSES = 32, ("red square", "green bar", "blue cross")


def shapes(split: str) -> tuple[torch.Tensor, torch.Tensor]:
    """A small colour set made here: 32x32 RGB on white, one coloured shape per class at a random place."""
    generator = torch.Generator().manual_seed(0 if split == "train" else 1)
    n = 96 if split == "train" else 30
    labels = torch.arange(n) % len(CLASSES)
    images = torch.ones(n, 3, SIZE, SIZE)
    for image, label in zip(images, labels.tolist()):
        x, y = torch.randint(4, SIZE - 12, (2,), generator=generator).tolist()
        colour = torch.eye(3)[label][:, None, None]
        if label == 0:
            image[:, y : y + 8, x : x + 8] = colour
        elif label == 1:
            image[:, y : y + 10, x + 3 : x + 5] = colour
        else:
            image[:, y + 3 : y + 5, x : x + 8] = colour
            image[:, y : y + 8, x + 3 : x + 5] = colour
    return images, labels


@pytest.fixture
def colour_shapes(monkeypatch):
    row = data.DatasetSpec("test-shapes", SIZE, 3, CLASSES, shapes, ())
    monkeypatch.setitem(data.DATASETS, row.name, row)
    (train_x, train_y), (test_x, test_y) = shapes("train"), shapes("test")
    return {"train_images": train_x, "train_labels": train_y, "test_images": test_x, "test_labels": test_y}


@pytest.mark.parametrize(
    "recipe_name",
    [
        "fashion-ae-under",
        "fashion-vae-2stage",
        "fashion-ebgan",
        "fashion-dcgan",
        "fashion-diffusion",
        "fashion-classifier",
    ],
)
def test_each_generative_family_trains_on_a_colour_set_at_another_size(recipe_name, colour_shapes, tmp_path):
    recipe = replace(RECIPES[recipe_name], dataset="test-shapes", batch_size=16, epochs=1, second_stage_epochs=1)
    before = build_model(recipe)
    config = before.config
    assert (config.image_size, config.num_channels, list(config.class_names)) == (SIZE, 3, list(CLASSES))
    if "class_labels" in getattr(before, "sampling_options", ()):
        assert config.num_classes == len(CLASSES)  # the GANs' and the diffusion model's classes are the data's
    if "classify" in before.capabilities:
        assert config.num_classes == len(CLASSES)
    trained = FAMILIES[recipe.family].train(recipe, colour_shapes, Accelerator(cpu=True), 3, recipe_name, None)
    model = trained.model.eval()
    assert all(torch.isfinite(torch.tensor(trained.history)))
    moved = [not torch.equal(a, b) for a, b in zip(before.state_dict().values(), model.state_dict().values())]
    assert any(moved), "three steps changed no weight"
    if "classify" in model.capabilities:  # the evaluation classifier a colour set needs
        assert model.predict(colour_shapes["test_images"]).shape == (30,)
    else:
        x = colour_shapes["test_images"][:4]
        images = (
            sample(model, 4, generator=torch.Generator().manual_seed(0))
            if "sample" in model.capabilities
            else model.reconstruct(x)
        )
        assert images.shape == (4, 3, SIZE, SIZE) and 0 <= images.min() and images.max() <= 1
    model.save_pretrained(tmp_path)
    assert genhub.load_model(tmp_path).config.image_size == SIZE  # loads strictly, at its own size


def test_a_side_the_conv_stacks_cannot_halve_twice_is_refused():
    with pytest.raises(ValueError, match="divisible by 4"):
        genhub.VAEConfig(image_size=30)
