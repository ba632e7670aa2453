"""The evaluation classifier behind every FID, accuracy and mode-coverage figure."""

import pytest
import torch

import genhub
from genhub import data
from genhub.metrics import class_histogram


def test_the_shipped_classifier_reads_real_test_images(fashion_test):
    images, labels = fashion_test
    classifier = genhub.load_model("fashion-classifier")
    predicted = classifier.predict(images)
    assert predicted.dtype == torch.long and predicted.shape == labels.shape
    assert (predicted == labels).float().mean() > 0.9  # its card: 93.45% on all 10,000
    assert class_histogram(predicted, 10).min() > 0.05  # every class is predicted


def test_features_are_the_128_d_space_fid_is_measured_in(fashion_batch):
    classifier = genhub.load_model("fashion-classifier")
    features = classifier.features(fashion_batch)
    assert features.shape == (16, 128) and torch.isfinite(features).all()
    blurred = torch.nn.functional.avg_pool2d(fashion_batch, 3, 1, 1)
    assert (classifier.features(blurred) - features).norm(dim=1).mean() > 0  # features see the difference


def test_forward_returns_logits_and_a_loss_with_labels(fashion_test):
    classifier = genhub.load_model("fashion-classifier")
    out = classifier(fashion_test[0][:32], labels=fashion_test[1][:32])
    assert out.logits.shape == (32, 10) and out.loss is not None and float(out.loss.detach()) < 1.0


def test_the_partial_view_classifier_names_the_class_of_half_an_item(fashion_test):
    """The same network given known pixels and mask: with half of each item hidden it is right almost as often
    as with the whole item, and far more often than the whole-item classifier is on the zeroed half."""
    from genhub.images import random_holes

    images, labels = fashion_test[0][:1000], fashion_test[1][:1000]
    partial, whole = genhub.load_model("fashion-classifier-partial"), genhub.load_model("fashion-classifier")
    mask = torch.zeros(len(images), 1, 28, 28)
    mask[..., :14] = 1  # the left half hidden
    accuracy = float((partial.predict(images, mask=mask) == labels).float().mean())
    assert accuracy > 0.91  # the release before (the evaluation classifier's width, 8 epochs) named 0.899
    assert accuracy > float((partial.predict(images) == labels).float().mean()) - 0.04
    assert accuracy > float((whole.predict(images * (1 - mask)) == labels).float().mean()) + 0.1
    holes = random_holes(len(images), generator=torch.Generator().manual_seed(0))  # every kind of hole
    assert float((partial.predict(images, mask=holes) == labels).float().mean()) > 0.85
    with pytest.raises(ValueError, match="takes no mask"):
        whole.predict(images[:2], mask=mask[:2])
    with pytest.raises(ValueError, match="mask must be of shape"):
        partial(images[:2], mask=mask[:1])


def test_a_mirror_invariant_classifier_names_the_class_likeliest_under_both_views():
    """The partial-view guide was trained on mirrored items too (flip_images), so predict sums the two views'
    log-probabilities; a classifier without the flag reads only the view it is given. The gain is small (10,000
    left halves: 9,146 -> 9,177 right), so it is counted on the whole test set."""
    images, labels = data.load_fashion_mnist("test")
    images = data.as_float_images(images)
    mask = torch.zeros(len(images), 1, 28, 28)
    mask[..., :14] = 1  # the left half hidden: the two views differ
    guide = genhub.load_model("fashion-classifier-partial")
    assert guide.config.mirror_invariant

    @torch.no_grad()
    def log_p(images, mask):  # one view's class log-probabilities, 1,000 items at a time
        return torch.cat([guide(x, mask=m).logits.log_softmax(1) for x, m in zip(images.split(1000), mask.split(1000))])

    view, mirrored = log_p(images, mask), log_p(images.flip(-1), mask.flip(-1))
    both = (view + mirrored).argmax(1)
    assert torch.equal(guide.predict(images[:1000], mask=mask[:1000]), both[:1000])
    assert (both != view.argmax(1)).sum() > 0  # the mirrored view changes some answers ...
    assert (both == labels).sum() > (view.argmax(1) == labels).sum()  # ... for the better on balance
    whole = genhub.load_model("fashion-classifier")
    assert not whole.config.mirror_invariant
    with torch.no_grad():
        assert torch.equal(whole.predict(images[:1000]), whole(images[:1000]).logits.argmax(1))
