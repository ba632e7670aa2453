import json

import pytest
import torch
from accelerate import Accelerator

import genhub
from genhub import data, train
from genhub.hub import save_checkpoint
from genhub.metrics import evaluate_autoencoder


@pytest.mark.parametrize("recipe", ["fashion-cae", "fashion-vae"])
def test_dry_run(recipe, capsys):
    assert train.main([recipe, "--dry-run"]) is None
    printed = json.loads(capsys.readouterr().out)
    assert printed["recipe"] == recipe and len(printed["train_loss"]) == 1


def test_a_short_run_learns_and_writes_a_complete_checkpoint(tmp_path):
    recipe = train.RECIPES["fashion-ae-under"]
    recipe = train.Recipe(recipe.family, recipe.description, recipe.config, epochs=2, batch_size=64)
    images = data.as_float_images(data.load_fashion_mnist("train")[0][:2048])
    test_images = data.as_float_images(data.load_fashion_mnist("test")[0][:256])
    torch.manual_seed(0)
    model, history = train.train_model(train.build_model(recipe), images, recipe, Accelerator(cpu=True))
    assert history[1] < history[0]
    figures = evaluate_autoencoder(model, test_images)
    card = train.write_card("fashion-ae-under", recipe, model, figures, history, 1.0)
    folder = save_checkpoint(model, tmp_path / "ckpt", card, {"preview.png": train.preview(model, recipe, test_images)})
    text = (folder / "README.md").read_text()
    assert f"{figures['loss']:.4g}" in text and "pipeline_tag: image-to-image" in text
    assert torch.equal(genhub.load_model(folder).encoder.weight, model.encoder.weight)
