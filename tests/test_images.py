"""genhub.images: value-range checks, tensor <-> PIL, grids, GIFs, uploads and example photos."""

import io

import numpy as np
import pytest
import torch
from PIL import Image

from genhub.images import (
    EXAMPLE_PHOTOS,
    example_photo,
    from_pil,
    gif_bytes,
    grid,
    open_image,
    png_bytes,
    to_pil,
    validate_images,
)


@pytest.mark.parametrize(
    "images, message",
    [
        (torch.zeros(2, 28, 28), "shape"),
        (torch.zeros(0, 1, 28, 28), "empty"),
        (torch.zeros(1, 3, 28, 28), "channel"),
        (torch.zeros(1, 1, 14, 14), "28x28"),
        (torch.full((1, 1, 28, 28), float("nan")), "NaN"),
        (torch.full((1, 1, 28, 28), 1.5), r"\[0, 1\]"),
    ],
)
def test_validate_images_names_what_is_wrong(images, message):
    with pytest.raises(ValueError, match=message):
        validate_images(images, num_channels=1, image_size=28)


def test_to_pil_and_grid_enlarge_without_smoothing(fashion_batch):
    one = to_pil(fashion_batch[0], scale=8)
    assert one.size == (224, 224)
    array = np.asarray(one)
    assert (array[::8, ::8] == np.asarray(to_pil(fashion_batch[0]))).all()  # nearest neighbour: blocks of 8
    sheet = grid(fashion_batch[:6], ncols=3, scale=2, pad=1)
    assert sheet.size[0] > 3 * 56 and sheet.size[1] > 2 * 56
    assert Image.open(io.BytesIO(png_bytes(sheet))).format == "PNG"


def test_gif_goes_forth_and_back(fashion_batch):
    with Image.open(io.BytesIO(gif_bytes(fashion_batch[:5], scale=4))) as gif:
        assert gif.format == "GIF" and gif.n_frames == 8 and gif.size == (112, 112)


def test_from_pil_inverts_light_backgrounds_and_resizes(fashion_batch, tmp_path):
    item = (fashion_batch[3, 0].numpy() * 255).astype(np.uint8)
    Image.fromarray(255 - item).resize((56, 56), Image.NEAREST).save(tmp_path / "light.png")
    x, note = from_pil(open_image(str(tmp_path / "light.png")))
    assert x.shape == (1, 1, 28, 28) and "inverted" in note and "resized" in note
    assert (x[0, 0] - fashion_batch[3, 0]).abs().max() < 0.01


def test_open_image_refuses_what_is_not_an_image(tmp_path):
    (tmp_path / "notes.txt").write_text("<b>hello</b>")
    with pytest.raises(ValueError, match="not a readable image"):
        open_image(str(tmp_path / "notes.txt"))


@pytest.mark.parametrize("name", EXAMPLE_PHOTOS)
def test_example_photos_are_real_cropped_photos(name):
    photo = example_photo(name, 64)
    assert photo.shape[0] == 1 and photo.shape[2:] == (64, 64) and photo.shape[1] in (1, 3)
    assert 0 <= photo.min() < photo.max() <= 1 and photo.std() > 0.02


def test_unknown_example_photo():
    with pytest.raises(ValueError, match="unknown example photo"):
        example_photo("lena")


def test_random_holes_draw_every_kind_reproducibly():
    from genhub.images import HOLE_KINDS, random_holes

    holes = random_holes(600, generator=torch.Generator().manual_seed(0))
    assert holes.shape == (600, 1, 28, 28) and set(holes.unique().tolist()) == {0.0, 1.0}
    assert torch.equal(holes, random_holes(600, generator=torch.Generator().manual_seed(0)))
    hidden = holes.mean((1, 2, 3))
    assert 0.08 < float((hidden == 0).float().mean()) < 0.25  # about a sixth see the whole item
    for kind, (low, high) in zip(HOLE_KINDS[1:], [(0.28, 0.72), (0.04, 0.57), (0.08, 0.33), (0.02, 0.3), (0.12, 0.42)]):
        share = random_holes(200, generator=torch.Generator().manual_seed(1), kind=kind).mean((1, 2, 3))
        assert low <= float(share.min()) and float(share.max()) <= high and float(share.std()) > 0, kind
    half = random_holes(50, generator=torch.Generator().manual_seed(2), kind="half")[:, 0]
    edge = torch.stack([half[:, :, 0], half[:, :, -1], half[:, 0], half[:, -1]], 1).amin(2)  # (50, 4 sides)
    assert bool((edge.sum(1) == 1).all())  # each hides one side: exactly one border line is all hidden
    with pytest.raises(ValueError, match="kind must be one of"):
        random_holes(1, kind="circle")
