import pytest
import skimage.data
import torch

import genhub
from genhub.metrics import psnr
from genhub.models.super_resolution import SuperResolution, SuperResolutionConfig, bicubic
from genhub.operations.super_resolution import rgb_to_ycbcr, super_resolve, ycbcr_to_rgb


def photo(name: str, side: int) -> torch.Tensor:
    array = torch.from_numpy(getattr(skimage.data, name)()).float().div(255)
    x = array[None, None] if array.ndim == 2 else array.permute(2, 0, 1)[None]
    return x[:, :, 100 : 100 + side, 100 : 100 + side]


@pytest.fixture(scope="module")
def tiny_sr():
    return SuperResolution(SuperResolutionConfig(scale=2, hidden_channels=4, num_layers=2)).eval()


@pytest.mark.parametrize("shape, scale", [((1, 1, 7, 5), 2), ((2, 3, 9, 13), 4), ((1, 1, 1, 1), 2)])
def test_bicubic_and_learned_output_sizes(shape, scale, tiny_sr):
    x = torch.rand(shape)
    out = super_resolve(x, scale, "bicubic")
    assert out.shape == (*shape[:2], shape[2] * scale, shape[3] * scale) and 0 <= out.min() and out.max() <= 1
    if scale == 2:
        assert super_resolve(x, 2, "learned", model=tiny_sr).shape == out.shape


def test_a_fresh_learned_model_is_exactly_bicubic(tiny_sr, fashion_batch):
    low = bicubic(fashion_batch, (14, 14))
    assert torch.equal(tiny_sr(low).images, bicubic(low, (28, 28)))  # the residual starts at zero


def test_internal_keeps_alpha_and_handles_grey_and_colour():
    rgba = torch.cat([photo("astronaut", 24), torch.full((1, 1, 24, 24), 0.5)], dim=1)
    out = super_resolve(rgba, 2, "internal", steps=5)
    assert out.shape == (1, 4, 48, 48) and torch.allclose(out[:, 3], torch.full((1, 48, 48), 0.5), atol=1e-6)
    grey = super_resolve(photo("camera", 17), 2, "internal", steps=5)
    assert grey.shape == (1, 1, 34, 34)
    assert torch.equal(grey, super_resolve(photo("camera", 17), 2, "internal", steps=5))  # seeded


def test_ycbcr_round_trip():
    x = torch.rand(2, 3, 5, 5)
    assert torch.allclose(ycbcr_to_rgb(rgb_to_ycbcr(x)), x, atol=1e-3)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(images=torch.rand(1, 1, 1, 1), method="internal"), "at least 8 pixels"),
        (dict(images=torch.rand(1, 1, 600, 20), method="bicubic"), "at most 512"),
        (dict(images=torch.rand(1, 2, 9, 9), method="bicubic"), "1 \\(grey\\), 3 \\(RGB\\) or 4"),
        (dict(images=torch.rand(1, 1, 9, 9), scale=3), "scale must be one of"),
        (dict(images=torch.rand(1, 1, 9, 9), method="magic"), "method must be one of"),
        (dict(images=torch.rand(1, 1, 9, 9), method="learned"), "needs a genhub SuperResolution model"),
        (dict(images=torch.rand(1, 1, 9, 9), method="internal", steps=0), "steps must be"),
        (dict(images=torch.full((1, 1, 9, 9), float("nan")), method="bicubic"), "NaN"),
    ],
)
def test_bad_requests(kwargs, message):
    kwargs = {"scale": 2, **kwargs}
    with pytest.raises(ValueError, match=message):
        super_resolve(**kwargs)


@pytest.mark.slow
def test_internal_beats_bicubic_on_a_real_photo():
    truth = photo("camera", 128)
    low = bicubic(truth, (64, 64))
    gain = psnr(super_resolve(low, 2, "internal", steps=150), truth) - psnr(super_resolve(low, 2, "bicubic"), truth)
    assert gain.item() > 0.3


def test_internal_learns_the_chroma_too():
    """Colour photos: one net on Y, Cb and Cr, so the chroma gains over bicubic (it was bicubic's exactly)."""
    truth = photo("coffee", 128)
    low = bicubic(truth, (64, 64))
    out, base = super_resolve(low, 2, "internal", steps=300), super_resolve(low, 2, "bicubic")
    chroma = lambda x: rgb_to_ycbcr(x)[:, 1:]  # noqa: E731
    assert (psnr(chroma(out), chroma(truth)) - psnr(chroma(base), chroma(truth))).item() > 0.3
    assert (psnr(out, truth) - psnr(base, truth)).item() > 0.5


@pytest.mark.parametrize("name", ["fashion-sr-x2", "fashion-sr-x4", "fashion-sr-x4-gan"])
def test_shipped_learned_models_beat_bicubic(name, fashion_test):
    model = genhub.load_model(name)
    truth = fashion_test[0][:500]
    low = bicubic(truth, (28 // model.config.scale,) * 2)
    learned = super_resolve(low, model.config.scale, "learned", model=model)
    assert psnr(learned, truth).mean() > psnr(super_resolve(low, model.config.scale, "bicubic"), truth).mean() + 1.0
    with pytest.raises(ValueError, match="upscales"):
        super_resolve(low, 6 - model.config.scale, "learned", model=model)


def test_the_photo_model_alone_and_as_the_internal_start():
    """photo-sr-x2 (trained on other photos) beats bicubic on a photo it never saw, alone and fine-tuned; a grey
    photo goes through it as neutral YCbCr and comes back grey; a grey-trained model cannot start a colour image."""
    sr = genhub.load_model("photo-sr-x2")
    truth = photo("chelsea", 128)
    low = bicubic(truth, (64, 64))
    base = psnr(super_resolve(low, 2, "bicubic"), truth).item()
    alone = psnr(super_resolve(low, 2, "learned", model=sr), truth).item()
    tuned = super_resolve(low, 2, "internal", model=sr, steps=20)
    assert alone > base + 0.5 and psnr(tuned, truth).item() > base + 0.5
    assert torch.equal(tuned, super_resolve(low, 2, "internal", model=sr, steps=20))  # seeded
    grey = photo("camera", 64)
    out = super_resolve(bicubic(grey, (32, 32)), 4, "internal", model=sr, steps=0)  # x4: two x2 stages
    assert out.shape == (1, 1, 128, 128)
    with pytest.raises(ValueError, match="colour image needs a colour"):
        super_resolve(low, 2, "internal", model=genhub.load_model("fashion-sr-x2"), steps=5)
    with pytest.raises(ValueError, match="needs a x2 model"):
        super_resolve(low, 4, "internal", model=genhub.load_model("fashion-sr-x4"), steps=5)


def test_the_emoji_model_restores_held_out_emoji_in_colour_better_than_bicubic():
    from genhub.emoji import load_emoji

    truth = load_emoji("test", 32)["images"][::4]  # held-out names, never trained on
    low = bicubic(truth, (16, 16))
    sr = genhub.load_model("emoji-sr-x2")
    learned = super_resolve(low, scale=2, method="learned", model=sr)
    assert learned.shape == truth.shape and 0 <= learned.min() and learned.max() <= 1
    assert float(psnr(learned, truth).mean()) > float(psnr(bicubic(low, (32, 32)), truth).mean()) + 0.5
    # the colours come back too: each image's mean colour within a few levels of the original's
    assert (learned.mean((2, 3)) - truth.mean((2, 3))).abs().max() < 0.03
