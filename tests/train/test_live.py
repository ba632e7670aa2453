"""The playground's live training: bad settings, reproducibility under concurrency, Stop, and the measured
signature of each pitfall preset on real Fashion-MNIST in a short budget."""

import threading
import time
from dataclasses import replace

import numpy as np
import pytest
import torch

import genhub
from genhub.train.live import PRESETS, LiveSettings, playground_data, train_live


@pytest.fixture(scope="module")
def classifier():
    return genhub.load_model("fashion-classifier")


def run(settings, classifier, stop=None):
    images, labels = playground_data()
    return list(train_live(settings, images, labels, classifier, stop))


@pytest.mark.parametrize(
    "change, message",
    [
        (dict(lr_generator=float("nan")), "lr_generator"),
        (dict(lr_cost=float("inf")), "lr_cost"),
        (dict(batch_size=100_000), "batch_size"),
        (dict(family="wgan"), "family"),
        (dict(classes=()), "classes"),
        (dict(classes=(1, 1)), "classes"),
        (dict(classes=(12,)), "classes"),
        (dict(max_steps=10**6), "max_steps"),
        (dict(latent_dim=2.5), "latent_dim"),
        (dict(cost_steps=True), "cost_steps"),
    ],
)
def test_bad_settings_are_clear_errors(change, message, classifier):
    with pytest.raises(ValueError, match=message):
        run(replace(LiveSettings(), **change), classifier)


def test_concurrent_runs_are_their_own(classifier):
    settings = LiveSettings(family="nonsaturating", classes=(1, 8), max_steps=15, batch_size=32, report_every=5)
    results = {}

    def worker(name, seed):
        results[name] = run(replace(settings, seed=seed), classifier)[-1]

    threads = [threading.Thread(target=worker, args=(n, s)) for n, s in (("a", 3), ("b", 3), ("c", 4))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert torch.equal(results["a"].samples, results["b"].samples)  # same seed, same run, even side by side
    assert not torch.equal(results["a"].samples, results["c"].samples)
    assert results["a"].done and results["a"].reason == "steps" and results["a"].model is not None


def test_stop_ends_a_run_within_a_second(classifier):
    flag = threading.Event()
    settings = LiveSettings(family="nonsaturating", max_steps=3000, report_every=500, report_seconds=0.3)
    images, labels = playground_data()
    events = train_live(settings, images, labels, classifier, flag.is_set)
    next(events)  # running
    flag.set()
    start = time.monotonic()
    last = list(events)[-1]
    assert last.done and last.reason == "stopped" and time.monotonic() - start < 1.0


def budget(name: str, steps: int) -> LiveSettings:
    return replace(PRESETS[name][0], max_steps=steps, report_every=min(steps, 500), max_seconds=120)


@pytest.mark.slow
def test_each_preset_shows_its_signature(classifier):
    healthy = run(budget("healthy", 300), classifier)[-1]
    vanishing = run(budget("vanishing gradients", 150), classifier)[-1]
    collapse = run(budget("mode collapse", 300), classifier)[-1]
    unstable = run(budget("unstable convergence", 300), classifier)[-1]
    # healthy: within 300 steps (about 8 s on 2 quiet cores) the samples read as the trained classes, in proportion
    trained = sum(healthy.histogram[c] for c in PRESETS["healthy"][0].classes)
    assert trained >= 0.6 and healthy.histogram_kl < 0.6
    grad = {
        name: np.asarray(e.history["generator_grad_norm"])
        for name, e in (("healthy", healthy), ("vanishing", vanishing))
    }
    # vanishing gradients: the saturating loss against a strong critic leaves G almost no gradient
    assert np.median(grad["vanishing"][10:]) < 0.01 * np.median(grad["healthy"][10:])
    assert np.median(grad["vanishing"][10:]) < 0.1 * grad["vanishing"][0]
    # mode collapse: trained classes go missing from the samples
    assert collapse.histogram_kl > healthy.histogram_kl + 2 and max(collapse.histogram) > 0.8
    # unstable convergence: the generator's loss oscillates far more than in the healthy run
    roll = {
        name: np.lib.stride_tricks.sliding_window_view(np.asarray(e.history["generator_loss"]), 50).std(1)
        for name, e in (("healthy", healthy), ("unstable", unstable))
    }
    assert np.median(roll["unstable"]) > 3 * np.median(roll["healthy"])
