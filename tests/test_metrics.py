import math

import numpy as np
import pytest
import scipy.linalg
import torch

import genhub
from genhub.metrics import frechet_distance, mode_coverage_kl, precision_recall, psnr


def test_frechet_distance_matches_the_scipy_formula():
    g = torch.Generator().manual_seed(0)
    a = torch.randn(500, 6, generator=g, dtype=torch.float64)
    b = torch.randn(400, 6, generator=g, dtype=torch.float64) * 1.5 + 0.3
    ca, cb = np.cov(a.numpy().T), np.cov(b.numpy().T)
    expected = ((a.mean(0) - b.mean(0)) ** 2).sum().item() + np.trace(ca + cb - 2 * scipy.linalg.sqrtm(ca @ cb).real)
    assert frechet_distance(a, b) == pytest.approx(expected, rel=1e-6)
    assert frechet_distance(a, a) == pytest.approx(0, abs=1e-8)


def test_precision_recall_extremes():
    g = torch.Generator().manual_seed(0)
    real = torch.randn(300, 4, generator=g)
    assert precision_recall(real, real.clone()) == (1.0, 1.0)
    assert precision_recall(real, real + 100) == (0.0, 0.0)
    collapsed = real[:1].repeat(300, 1) + 1e-3 * torch.randn(300, 4, generator=g)  # one mode only
    precision, recall = precision_recall(real, collapsed)
    assert precision == 1.0 and recall < 0.1


def test_mode_coverage_kl():
    reference = torch.arange(10).repeat(100)
    assert mode_coverage_kl(torch.arange(10).repeat(5), reference, 10) == pytest.approx(0, abs=1e-9)
    assert mode_coverage_kl(torch.zeros(50, dtype=torch.long), reference, 10) == pytest.approx(math.log(10), rel=1e-6)


def test_psnr():
    x = torch.zeros(2, 1, 4, 4)
    assert psnr(x + 0.1, x).tolist() == pytest.approx([20.0, 20.0], rel=1e-5)


def test_shipped_classifier_is_accurate(fashion_test):
    classifier = genhub.load_model("fashion-classifier")
    images, labels = fashion_test
    assert (classifier.predict(images) == labels).float().mean() > 0.9
    assert classifier.features(images[:4]).shape == (4, classifier.config.feature_dim)
