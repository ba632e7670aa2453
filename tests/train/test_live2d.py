"""The playground's 2-D mode: a GAN on points, its data, its pictures, bad settings, and the signature of each
preset, measured by step count (hundreds of steps a second on 2 CPU cores: each shows within seconds)."""

from dataclasses import replace

import numpy as np
import pytest
import torch

import genhub
from genhub.train.live2d import (
    PRESETS_2D,
    Live2DSettings,
    live2d_plot,
    mode_centres,
    modes_covered,
    train_live_2d,
)


def last(settings, drawn=None):
    return list(train_live_2d(replace(settings, report_seconds=1000), drawn))[-1]


def rolling_std(event) -> float:
    loss = np.asarray(event.history["generator_loss"])
    return float(np.median(np.lib.stride_tricks.sliding_window_view(loss, 100).std(1)[len(loss) // 2 :]))


def test_data_and_the_mode_count():
    ring, grid = mode_centres("ring"), mode_centres("grid")
    assert ring.shape == (8, 2) and grid.shape == (25, 2) and torch.allclose(ring.norm(dim=1), torch.full((8,), 2.0))
    points = ring.repeat_interleave(10, 0) + 0.01 * torch.randn(80, 2, generator=torch.Generator().manual_seed(0))
    assert modes_covered(points, ring) == 8 and modes_covered(points[:20], ring) == 2
    with pytest.raises(ValueError, match="draw at least one stroke"):
        mode_centres("drawn", None)


@pytest.mark.parametrize(
    "change, message",
    [
        (dict(dataset="moons"), "dataset"),
        (dict(lr_generator=float("nan")), "lr_generator"),
        (dict(batch_size=8), "batch_size"),
        (dict(max_steps=10**6), "max_steps"),
        (dict(objective="wgan"), "objective"),
    ],
)
def test_bad_settings_are_refused(change, message):
    with pytest.raises(ValueError, match=message):
        last(replace(Live2DSettings(), **change))


def test_a_run_is_reproducible_draws_and_saves(tmp_path):
    settings = replace(Live2DSettings(), max_steps=50)
    a, b = last(settings), last(settings)
    assert torch.equal(a.fake, b.fake) and a.done and a.reason == "steps"
    png = live2d_plot(a)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
    a.model.save_pretrained(tmp_path)
    loaded = genhub.load_model(tmp_path)  # a complete genhub checkpoint, strictly loaded
    assert torch.equal(
        loaded.generate(5, torch.Generator().manual_seed(1)), a.model.generate(5, torch.Generator().manual_seed(1))
    )
    drawn = last(replace(settings, dataset="drawn"), drawn=torch.tensor([[0.0, 0.0], [1.0, 1.0]]))
    assert drawn.modes == 2 and drawn.real.shape == (512, 2)


def test_each_preset_shows_its_signature():
    healthy = last(replace(PRESETS_2D["healthy"][0], max_steps=1500))
    collapse = last(replace(PRESETS_2D["mode collapse"][0], max_steps=1500))
    unstable = last(replace(PRESETS_2D["unstable convergence"][0], max_steps=2000))
    assert healthy.covered == 8  # every mode of the ring
    assert collapse.covered <= 2  # the points gather on few modes
    assert rolling_std(unstable) > 1.5 * rolling_std(healthy)  # the generator's loss swings
