import pytest
import torch

import genhub
from genhub.metrics import image_moments, steerability
from genhub.models.ebgan import EBGAN, EBGANConfig
from genhub.models.walks import EDIT_RANGES, Walks, WalksConfig
from genhub.operations.steering import edit_images, steer


def blob(top=10, left=8, size=4):
    x = torch.zeros(1, 1, 28, 28)
    x[..., top : top + size, left : left + size] = 1
    return x


@pytest.mark.parametrize("edit", list(EDIT_RANGES))
def test_identity_alpha_returns_the_image_unchanged(edit, fashion_batch):
    out, mask = edit_images(fashion_batch, edit, EDIT_RANGES[edit][1])
    assert torch.equal(out, fashion_batch) and mask.min() == 1


@pytest.mark.parametrize("k", [1, 3, -5])
def test_shift_moves_a_blob_by_k_pixels(k):
    x = blob()
    for edit, axis in (("shift_x", -1), ("shift_y", -2)):
        out, mask = edit_images(x, edit, float(k))
        assert torch.allclose(out, torch.roll(x, k, dims=axis), atol=1e-6)
        # the mask is 0 exactly on the |k| rows/columns that came from outside the frame
        assert mask.sum() == 28 * (28 - abs(k))
        strip = mask[..., : abs(k)] if axis == -1 else mask[..., : abs(k), :]
        strip = strip if k > 0 else (mask[..., -abs(k) :] if axis == -1 else mask[..., -abs(k) :, :])
        assert strip.max() == 0


def test_zoom_rotate_and_brightness_move_the_moments():
    x = blob(12, 16)  # right of centre, still in frame when doubled
    m0 = image_moments(x)
    zoomed = image_moments(edit_images(x, "zoom", 2.0)[0])
    assert zoomed["spread"] / m0["spread"] == pytest.approx(2.0, rel=0.1)
    assert zoomed["centroid_x"] - 13.5 == pytest.approx(2 * (m0["centroid_x"] - 13.5), rel=0.05)
    rotated = image_moments(edit_images(x, "rotate_2d", 30.0)[0])
    assert rotated["centroid_y"] == pytest.approx(m0["centroid_y"] - 4 * 0.5, abs=0.2)  # CCW: the right side goes up
    closer = image_moments(edit_images(x, "rotate_3d", 40.0)[0])
    assert closer["intensity"] > m0["intensity"]  # the right side comes closer: bigger
    assert edit_images(x, "zoom", 0.5)[1].mean() == pytest.approx(0.25, abs=0.01)  # a quarter stays in frame
    bright, _ = edit_images(x, "brightness", 0.2)
    assert bright.min() == pytest.approx(0.2) and bright.max() == 1.0


@pytest.mark.parametrize(
    "edit, alpha", [("zoom", 3.0), ("shift_x", 9.0), ("rotate_2d", float("nan")), ("brightness", "0.1"), ("tilt", 1.0)]
)
def test_bad_edits_and_alphas(edit, alpha):
    with pytest.raises(ValueError, match="alpha for|unknown edit"):
        edit_images(blob(), edit, alpha)


def test_steer_moves_along_the_walk_and_combines_edits():
    torch.manual_seed(0)
    gan = EBGAN(
        EBGANConfig(latent_dim=8, class_embed_dim=4, generator_channels=(8, 4), cost_channels=(4, 8), cost_code_dim=6)
    ).eval()
    walks = Walks(WalksConfig(latent_dim=8))
    with torch.no_grad():
        walks.directions.copy_(torch.randn(6, 8))
    z = torch.randn(2, 8)
    out = steer(gan, "shift_x", 8.0, latents=z, class_labels=[1, 2], walks=walks)
    assert torch.allclose(out, gan.generate(latents=z + walks.directions[1], class_labels=[1, 2]))
    both = steer(gan, {"shift_x": 4.0, "zoom": 2.0}, latents=z, class_labels=[1, 2], walks=walks)
    assert torch.allclose(
        both, gan.generate(latents=z + 0.5 * walks.directions[1] + walks.directions[0], class_labels=[1, 2]), atol=1e-6
    )
    with pytest.raises(ValueError, match="alpha for zoom"):
        steer(gan, "zoom", 5.0, latents=z, walks=walks)


@pytest.mark.parametrize("gan", ["fashion-ebgan", "fashion-dcgan"])
@pytest.mark.parametrize(
    "edit, alpha", [("zoom", 0.6), ("brightness", -0.4), ("shift_x", 6.0), ("shift_y", 6.0), ("rotate_2d", 40.0)]
)
def test_shipped_walks_steer_the_shipped_generator_the_right_way(gan, edit, alpha):
    model = genhub.load_model(gan)
    images = steer(model, edit, alpha, class_labels=[0, 1, 7, 9], generator=torch.Generator().manual_seed(0))
    assert images.shape == (4, 1, 28, 28)  # the walks load with the generator
    figures = steerability(model, genhub.load_model(f"{gan}-walks"), edit, alpha, num_images=100)
    assert figures["achieved"] * figures["target"] > 0  # the walk moves the right way ...
    if edit in ("zoom", "brightness"):  # ... and for these edits gets well towards the target
        assert figures["relative_l2"] < 0.8
