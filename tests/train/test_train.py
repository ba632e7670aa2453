import json

import pytest
import torch
from accelerate import Accelerator

import genhub
from genhub import data, train
from genhub.hub import save_checkpoint
from genhub.metrics import evaluate_autoencoder


@pytest.mark.parametrize("recipe", ["fashion-cae", "fashion-vae", "fashion-classifier", "fashion-ebgan"])
def test_dry_run(recipe, capsys):
    assert train.main([recipe, "--dry-run"]) is None
    printed = json.loads(capsys.readouterr().out)
    assert printed["recipe"] == recipe and len(printed["train_loss"]) == 1 and printed["test"]


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
    preview = train.FAMILIES["autoencoder"].preview(model, recipe, {"test_images": test_images})
    folder = save_checkpoint(model, tmp_path / "ckpt", card, {"preview.png": preview})
    text = (folder / "README.md").read_text()
    assert f"{figures['loss']:.4g}" in text and "pipeline_tag: image-to-image" in text
    assert torch.equal(genhub.load_model(folder).encoder.weight, model.encoder.weight)


def test_gan_training_logs_the_three_pitfalls():
    recipe = train.replace(train.RECIPES["fashion-ebgan"], batch_size=32)
    images = data.as_float_images(data.load_fashion_mnist("train")[0][:320])
    labels = data.load_fashion_mnist("train")[1][:320]
    torch.manual_seed(0)
    model, log = train.train_gan(
        train.build_model(recipe),
        images,
        labels,
        recipe,
        Accelerator(cpu=True),
        genhub.load_model(train.CLASSIFIER),
        max_steps=12,
    )
    assert len(log["cost_loss"]) == len(log["generator_grad_norm"]) == 12
    assert all(n > 0 for n in log["generator_grad_norm"])
    assert log["histogram_step"] == [0] and sum(log["class_histogram"][0]) == pytest.approx(1.0, abs=1e-3)
    history, text = train.gan_summary(log, steps_per_epoch=6)
    assert len(history) == 2 and "gradient norm" in text
    assert train.diagnostics_plot(log, "test")[:8] == b"\x89PNG\r\n\x1a\n"


def test_flags_and_tracker(tmp_path, monkeypatch, capsys):
    from accelerate.state import AcceleratorState

    AcceleratorState._reset_state(reset_partial_state=True)  # a fresh process would start with none
    monkeypatch.chdir(tmp_path)
    argv = [
        "fashion-ae-under",
        "--dry-run",
        "--tracker",
        "tensorboard",
        "--batch-size",
        "8",
        "--learning-rate",
        "0.01",
        "--config",
        "hidden_size=16",
        "--mixed-precision",
        "bf16",
    ]
    assert train.main(argv) is None
    printed = json.loads(capsys.readouterr().out)
    assert printed["recipe"] == "fashion-ae-under" and printed["test"]["loss"] > 0
    assert list((tmp_path / "runs" / "fashion-ae-under").rglob("events.out.tfevents.*"))  # TensorBoard's log
    with pytest.raises(SystemExit):
        train.main(["fashion-ae-under", "--dry-run", "--config", "hidden_size"])
    AcceleratorState._reset_state(reset_partial_state=True)


def test_command_line_overrides_reach_the_recipe():
    from genhub.train.__main__ import build_parser
    from genhub.train.run import with_overrides

    parser = build_parser()
    argv = ["fashion-text-gan", "--r1-weight", "0.3", "--seed", "2", "--epochs", "20", "--lr-decay-start", "0.5"]
    recipe = with_overrides(train.RECIPES["fashion-text-gan"], parser.parse_args(argv), parser)
    assert (recipe.r1_weight, recipe.seed, recipe.epochs, recipe.lr_decay_start) == (0.3, 2, 20, 0.5)
    assert recipe.config == train.RECIPES["fashion-text-gan"].config  # the rest is the recipe's
    default = with_overrides(train.RECIPES["fashion-text-gan"], parser.parse_args(["fashion-text-gan"]), parser)
    assert default == train.RECIPES["fashion-text-gan"]


def test_the_caption_gan_learning_rate_decays_linearly_from_the_given_fraction():
    from genhub.train.caption_loop import gan_lr_factor

    recipe = train.replace(train.RECIPES["fashion-text-gan"], epochs=10, lr_decay_start=0.6)
    factors = [gan_lr_factor(recipe, epoch) for epoch in range(-2, 10)]  # 2 warm-up epochs first
    assert factors[:8] == [1.0] * 8
    assert factors[8:] == pytest.approx([0.8, 0.6, 0.4, 0.2])
    constant = train.replace(recipe, lr_decay_start=1.0)
    assert {gan_lr_factor(constant, epoch) for epoch in range(10)} == {1.0}


def test_the_caption_gan_fine_tunes_at_half_the_rate_after_its_restart_and_refuses_runs_too_short_for_it():
    from genhub.train.caption_loop import gan_lr_factor, train_text_gan

    recipe = train.RECIPES["fashion-text-gan"]  # restarts from fashion-dcgan's generator after 16 of 20 GAN epochs
    assert [gan_lr_factor(recipe, epoch) for epoch in (0, 15, 16, 19)] == [1.0, 1.0, 0.5, 0.5]
    short = train.replace(recipe, epochs=16)
    with pytest.raises(ValueError, match="after 16 GAN epochs"):
        train_text_gan(data.load_captioned("train", limit=32), short, Accelerator(cpu=True), source=object())


def test_the_plain_loop_can_follow_a_cosine_and_mirror_half_the_images():
    from genhub.train.loop import cosine_factor, mirror_half

    assert [cosine_factor(s, 100) for s in (0, 50, 100, 150)] == pytest.approx([1.0, 0.5, 0.0, 0.0])
    assert cosine_factor(70, 0) == 1.0  # no schedule
    images = data.as_float_images(data.load_fashion_mnist("test")[0][:400])
    torch.manual_seed(0)
    out = mirror_half(images)
    mirrored = (out == images.flip(-1)).flatten(1).all(1)
    assert (mirrored | (out == images).flatten(1).all(1)).all()  # each image as it was or mirrored
    assert 160 < int(mirrored.sum()) < 240
    recipe = train.RECIPES["fashion-classifier-partial"]
    assert recipe.cosine_schedule and recipe.flip_images and recipe.config["mirror_invariant"]
    with pytest.raises(ValueError, match="flip_images=True"):  # a classifier never shown mirrored items
        train.replace(recipe, flip_images=False)
    assert "falling to 0 along a cosine" in str(train.write_card("x", recipe, None, {}, [1.0], 1.0))
