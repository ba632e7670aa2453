"""A run saved after an epoch and resumed continues exactly as the uninterrupted run (fixed seed): weights,
optimiser and random state come back through Accelerate's save_state / load_state."""

from dataclasses import replace

import pytest
import torch
from accelerate import Accelerator
from accelerate.utils import set_seed

from genhub import data
from genhub.models.ebgan import ConditionalGAN, ConditionalGANConfig
from genhub.train import RECIPES, build_model
from genhub.train.caption_loop import train_text_gan
from genhub.train.families import FAMILIES
from genhub.train.loop import RunState, train_gan, train_model


class Interrupted(Exception):
    pass


class StopsAfterSaving(RunState):
    """A run killed right after it saved its second epoch."""

    def save(self, accelerator, epoch, history):
        super().save(accelerator, epoch, history)
        if epoch == 1:
            raise Interrupted


@pytest.mark.parametrize("name", ["fashion-ae-under", "fashion-vae", "fashion-classifier-partial"])
def test_resume_continues_like_an_uninterrupted_run(name, tmp_path):
    images, labels = data.load_fashion_mnist("train")
    images, labels = data.as_float_images(images[:1024]), labels[:1024]
    recipe = replace(RECIPES[name], epochs=3, batch_size=128)  # the partial classifier: cosine schedule, mirroring

    def train(run):
        set_seed(0)
        with_labels = FAMILIES[recipe.family].trains_on_labels  # the classifier's loss takes the labels
        return train_model(
            build_model(recipe), images, recipe, Accelerator(cpu=True), labels=labels, run=run, with_labels=with_labels
        )

    straight, history = train(RunState())
    with pytest.raises(Interrupted):
        train(StopsAfterSaving(tmp_path, save_every=1))  # killed after two epochs, saved after each
    assert (tmp_path / "epoch_1" / "progress.json").exists() and not (tmp_path / "epoch_2").exists()
    resumed, resumed_history = train(RunState(tmp_path, resume_from=tmp_path / "epoch_1"))
    assert resumed_history == pytest.approx(history)
    for (key, a), (_, b) in zip(straight.state_dict().items(), resumed.state_dict().items()):
        assert torch.allclose(a, b, atol=1e-6), key


@pytest.mark.parametrize(  # the emoji GAN's game: DiffAugment drawn from the loop's own generator, classes as in the data
    "game", [{}, dict(diff_augment="color,translation,cutout", fake_labels_from_data=True)]
)
def test_gan_resume_continues_like_an_uninterrupted_run(tmp_path, game):
    images, labels = data.load_fashion_mnist("train")
    images, labels = data.as_float_images(images[:256]), labels[:256]
    recipe = replace(RECIPES["fashion-dcgan"], batch_size=64, **game)
    small = dict(generator_channels=[16, 8], cost_channels=[8, 16])

    def train(epochs, run):
        set_seed(0)
        r = replace(recipe, epochs=epochs, config=dict(recipe.config, **small))
        return train_gan(build_model(r), images, labels, r, Accelerator(cpu=True), run=run)

    straight, log = train(3, RunState())
    train(2, RunState(tmp_path, save_every=1))
    resumed, resumed_log = train(3, RunState(tmp_path, resume_from=tmp_path / "epoch_1"))
    assert resumed_log["generator_loss"] == pytest.approx(log["generator_loss"])
    assert len(resumed_log["cost_loss"]) == 3 * 4
    for (key, a), (_, b) in zip(straight.state_dict().items(), resumed.state_dict().items()):
        assert torch.allclose(a.float(), b.float(), atol=1e-6), key


@pytest.mark.parametrize("restart_after", [0, 1])  # the generator restarts from a class GAN's before the save, after
def test_caption_gan_resume_continues_like_an_uninterrupted_run(tmp_path, restart_after):
    captioned = data.load_captioned("train", limit=128)
    recipe = replace(RECIPES["fashion-text-gan"], batch_size=32, warmup_epochs=1, init_generator_after=restart_after)
    small = dict(word_dim=8, text_embed_dim=8, generator_channels=[8, 4], cost_channels=[4, 8], cost_code_dim=6)
    torch.manual_seed(1)
    source = ConditionalGAN(ConditionalGANConfig(generator_channels=[8, 4], objective="nonsaturating")).eval()

    def train(epochs, run):
        set_seed(0)
        r = replace(recipe, epochs=epochs, config=dict(recipe.config, **small))
        return train_text_gan(captioned, r, Accelerator(cpu=True), run=run, source=source)

    straight, history = train(2, RunState(tmp_path, save_every=1))  # 1 embedding epoch + 2 GAN epochs, each saved
    resumed, resumed_history = train(2, RunState(tmp_path, resume_from=tmp_path / "epoch_1"))
    assert resumed_history == pytest.approx(history) and len(history) == 3
    for (key, a), (_, b) in zip(straight.state_dict().items(), resumed.state_dict().items()):
        assert torch.allclose(a.float(), b.float(), atol=1e-6), key
