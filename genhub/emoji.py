"""The colour set: Unicode's emoji rendered from Debian's Noto Color Emoji font, named and grouped by Unicode's
emoji-test.txt (Debian `unicode-data`), so the names are real captions ("woman mechanic: dark skin tone").

Each fully-qualified emoji (the Component group left out) is drawn at the font's bitmap size (109 px on a 136 x 128
canvas), laid on white, centred in a square and resized (box filter) to 32 or 64 px; labels are the 9 groups, with the
subgroups and names beside them. One name in ten (fixed by a hash of the name) is held out as the test split, so a
model is judged on emoji it never saw. The rendering is cached as one .npz per size under $GENHUB_CACHE (default
~/.cache/genhub), written atomically.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

FONT = Path(os.environ.get("GENHUB_EMOJI_FONT", "/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf"))
EMOJI_TEST = Path(os.environ.get("GENHUB_EMOJI_TEST", "/usr/share/unicode/emoji/emoji-test.txt"))
PACKAGES = ("fonts-noto-color-emoji", "unicode-data")  # the Debian packages the set is made from
FONT_SIZE = 109  # the only size the font's colour bitmaps come in
SIZES = (32, 64)
SKIPPED_GROUPS = ("Component",)  # skin tones and hair styles alone: parts, not emoji
HELD_OUT_SHARE = 10  # one name in this many is the test split


@dataclass(frozen=True)
class Emoji:
    text: str  # the emoji itself (one or more code points)
    name: str  # Unicode's name, e.g. "red apple"
    group: str  # one of 9 groups, e.g. "Food & Drink"
    subgroup: str  # e.g. "food-fruit"


def _missing(what: Path) -> FileNotFoundError:
    from .data import DatasetNotFoundError  # noqa: PLC0415

    return DatasetNotFoundError(
        f"{what} not found: the emoji set needs Debian's {' and '.join(PACKAGES)} "
        f"(`apt-get install -y {' '.join(PACKAGES)}`), or GENHUB_EMOJI_FONT / GENHUB_EMOJI_TEST set to the files"
    )


def read_emoji_test(path: Path = EMOJI_TEST) -> list[Emoji]:
    """The fully-qualified emoji of Unicode's emoji-test.txt, in its order, with their names, groups and subgroups."""
    if not Path(path).is_file():
        raise _missing(Path(path))
    found, group, subgroup = [], "", ""
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.startswith("# group: "):
            group = line[len("# group: ") :].strip()
        elif line.startswith("# subgroup: "):
            subgroup = line[len("# subgroup: ") :].strip()
        elif "; fully-qualified" in line and "#" in line and group not in SKIPPED_GROUPS:
            codes = line.split(";")[0].split()
            comment = line.split("#", 1)[1].strip().split(" ", 2)  # "<emoji> E<version> <name>"
            found.append(Emoji("".join(chr(int(c, 16)) for c in codes), comment[2], group, subgroup))
    return found


def render(emoji: list[Emoji], size: int, font_path: Path = FONT) -> np.ndarray:
    """uint8 (N, size, size, 3): each emoji drawn on white, centred in a square, box-resized."""
    from PIL import Image, ImageDraw, ImageFont  # noqa: PLC0415

    if not Path(font_path).is_file():
        raise _missing(Path(font_path))
    font = ImageFont.truetype(str(font_path), FONT_SIZE)
    out = np.empty((len(emoji), size, size, 3), dtype=np.uint8)
    for i, e in enumerate(emoji):
        canvas = Image.new("RGBA", (160, 160), (255, 255, 255, 0))
        ImageDraw.Draw(canvas).text((80, 80), e.text, font=font, embedded_color=True, anchor="mm")
        box = canvas.getbbox() or (0, 0, 160, 160)
        side = max(box[2] - box[0], box[3] - box[1])
        cx, cy = (box[0] + box[2]) // 2, (box[1] + box[3]) // 2
        crop = canvas.crop((cx - side // 2, cy - side // 2, cx - side // 2 + side, cy - side // 2 + side))
        white = Image.new("RGBA", crop.size, (255, 255, 255, 255))
        out[i] = np.asarray(Image.alpha_composite(white, crop).convert("RGB").resize((size, size), Image.BOX))
    return out


def held_out(name: str) -> bool:
    """Whether a name belongs to the test split (a fixed hash of the name: the same on every machine)."""
    return int(hashlib.sha256(name.encode()).hexdigest(), 16) % HELD_OUT_SHARE == 0


def cache_dir() -> Path:
    return Path(os.environ.get("GENHUB_CACHE", Path.home() / ".cache" / "genhub"))


def load_emoji(split: str = "train", size: int = 32, limit: int | None = None) -> dict:
    """The emoji set: {"images": (N, 3, size, size) float in [0, 1], "labels": group ids (N,), "groups": the group
    names, "subgroups": (N,) names, "names": (N,) Unicode names, "texts": the emoji}; split "train", "test" (the
    held-out names) or "all"; limit: the first N emoji of emoji-test.txt only (rendered, not cached; for tests)."""
    if split not in ("train", "test", "all") or size not in SIZES:
        raise ValueError(f"split must be train, test or all and size one of {SIZES}, got {split!r}, {size!r}")
    emoji = read_emoji_test()
    if limit is not None:
        emoji, pixels = emoji[:limit], render(emoji[:limit], size)
    else:
        pixels = _cached(emoji, size)
    groups = sorted({e.group for e in emoji}, key=[e.group for e in emoji].index)
    keep = [i for i, e in enumerate(emoji) if split == "all" or held_out(e.name) == (split == "test")]
    return {
        "images": torch.from_numpy(pixels[keep]).permute(0, 3, 1, 2).float() / 255,  # (N, H, W, 3) -> (N, 3, H, W)
        "labels": torch.tensor([groups.index(emoji[i].group) for i in keep]),
        "groups": groups,
        "subgroups": [emoji[i].subgroup for i in keep],
        "names": [emoji[i].name for i in keep],
        "texts": [emoji[i].text for i in keep],
    }


def _cached(emoji: list[Emoji], size: int) -> np.ndarray:
    """The whole set rendered at `size`, from the cache when it holds this exact list of emoji."""
    digest = hashlib.sha256("\n".join(e.text for e in emoji).encode()).hexdigest()[:16]
    path = cache_dir() / f"emoji-{size}-{digest}.npz"
    if path.is_file():
        return np.load(path)["pixels"]
    pixels = render(emoji, size)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=path.parent, suffix=".npz")  # then one rename: never half a cache file
    try:
        with os.fdopen(handle, "wb") as f:
            np.savez_compressed(f, pixels=pixels)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return pixels
