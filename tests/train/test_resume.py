"""A run saved after an epoch and resumed continues exactly as the uninterrupted run (fixed seed): weights,
optimiser and random state come back through Accelerate's save_state / load_state."""

from dataclasses import replace

import pytest
import torch
from accelerate import Accelerator
from accelerate.utils import set_seed

from genhub import data
from genhub.train import RECIPES, build_model
from genhub.train.loop import RunState, train_model


@pytest.mark.parametrize("name", ["fashion-ae-under", "fashion-vae"])
def test_resume_continues_like_an_uninterrupted_run(name, tmp_path):
    images = data.as_float_images(data.load_fashion_mnist("train")[0][:1024])
    recipe = replace(RECIPES[name], epochs=3, batch_size=128)

    def train(epochs, run):
        set_seed(0)
        model = build_model(replace(recipe, epochs=epochs))
        return train_model(model, images, replace(recipe, epochs=epochs), Accelerator(cpu=True), run=run)

    straight, history = train(3, RunState())
    train(2, RunState(tmp_path, save_every=1))  # interrupted after two epochs, saved after each
    assert (tmp_path / "epoch_1" / "progress.json").exists()
    resumed, resumed_history = train(3, RunState(tmp_path, resume_from=tmp_path / "epoch_1"))
    assert resumed_history == pytest.approx(history)
    for (key, a), (_, b) in zip(straight.state_dict().items(), resumed.state_dict().items()):
        assert torch.allclose(a, b, atol=1e-6), key
