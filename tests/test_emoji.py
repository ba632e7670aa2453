"""The emoji colour set: Unicode's names and groups, the rendering, the held-out names, the cache, the missing-
package error, and its rows in the datasets table."""

import pytest
import torch

from genhub import data, emoji


def test_names_and_groups_come_from_unicode():
    found = emoji.read_emoji_test()
    assert len(found) > 3000 and found[0].name == "grinning face" and found[0].group == "Smileys & Emotion"
    assert {e.group for e in found} == set(data.EMOJI_GROUPS)  # the Component group is left out
    names = {e.name for e in found}
    assert {"red apple", "woman mechanic: dark skin tone", "sun behind rain cloud"} <= names


def test_rendering_is_colour_on_white_and_held_out_names_never_train(tmp_path, monkeypatch):
    monkeypatch.setenv("GENHUB_CACHE", str(tmp_path))
    few = emoji.load_emoji("all", 32, limit=30)
    images = few["images"]
    assert images.shape == (30, 3, 32, 32) and 0 <= images.min() and images.max() <= 1
    assert (images[:, :, 0, 0] > 0.95).all()  # the corners are the white background
    yellow = images[0, :, 16, 16]  # the grinning face's centre: yellow, not grey
    assert yellow[0] > 0.8 and yellow[2] < 0.5
    assert few["names"][0] == "grinning face" and few["labels"][0] == 0
    train, test = emoji.load_emoji("train", 32, limit=300), emoji.load_emoji("test", 32, limit=300)
    assert not set(train["names"]) & set(test["names"]) and len(test["names"]) > 10
    assert len(train["names"]) + len(test["names"]) == 300


def test_the_cache_is_one_atomic_file_and_gives_the_same_pixels(tmp_path, monkeypatch):
    monkeypatch.setenv("GENHUB_CACHE", str(tmp_path))
    subset = emoji.read_emoji_test()[:12]
    first = emoji._cached(subset, 32)
    assert [p.suffix for p in tmp_path.iterdir()] == [".npz"]  # no temp file left
    assert (emoji._cached(subset, 32) == first).all()


def test_missing_packages_are_named(monkeypatch, tmp_path):
    with pytest.raises(data.DatasetNotFoundError, match="fonts-noto-color-emoji and unicode-data"):
        emoji.read_emoji_test(tmp_path / "emoji-test.txt")
    with pytest.raises(data.DatasetNotFoundError, match="apt-get install -y fonts-noto-color-emoji unicode-data"):
        emoji.render(emoji.read_emoji_test()[:1], 32, tmp_path / "NotoColorEmoji.ttf")
    with pytest.raises(ValueError, match="size one of"):
        emoji.load_emoji("train", 28)


def test_datasets_are_rows():
    fashion, colour = data.DATASETS["fashion-mnist"], data.DATASETS["emoji-64"]
    assert (fashion.image_size, fashion.num_channels, len(fashion.class_names)) == (28, 1, 10)
    assert (colour.image_size, colour.num_channels, len(colour.class_names)) == (64, 3, 9)
    images, labels = fashion.loader("test")
    assert images.shape == (10000, 1, 28, 28) and labels.max() == 9 and images.dtype == torch.float32
