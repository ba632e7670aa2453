"""diffusers' calling conventions on the generating verbs: output_type, return_dict (.images), one generator per
image, numpy counts, and inference in bfloat16."""

import re

import numpy as np
import pytest
import torch
from PIL import Image

import genhub
from genhub.operations import steer


@pytest.fixture(scope="module")
def models():
    return {name: genhub.load_model(name) for name in ("fashion-ebgan", "fashion-vae", "fashion-text-gan")}


def verbs(models):
    gan, vae, txt = models["fashion-ebgan"], models["fashion-vae"], models["fashion-text-gan"]
    return {
        "gan": lambda **kw: gan.generate(3, class_labels="Bag", **kw),
        "vae": lambda **kw: vae.generate(3, **kw),
        "text": lambda **kw: txt.generate(["a red dress"], num_images_per_prompt=3, **kw),
    }


@pytest.mark.parametrize("verb", ["gan", "vae", "text"])
def test_output_types_and_return_dict(models, verb):
    call = verbs(models)[verb]
    seed = lambda: torch.Generator().manual_seed(4)  # noqa: E731
    pt = call(generator=seed())
    assert isinstance(pt, torch.Tensor) and pt.shape[0] == 3 and 0 <= pt.min() and pt.max() <= 1
    array = call(generator=seed(), output_type="np")
    assert isinstance(array, np.ndarray) and array.shape == (3, 28, 28, pt.shape[1])
    assert np.allclose(array, pt.permute(0, 2, 3, 1).numpy())
    out = call(generator=seed(), output_type="pil", return_dict=True)
    assert len(out.images) == 3 and all(isinstance(im, Image.Image) for im in out.images)
    with pytest.raises(ValueError, match="output_type"):
        call(generator=seed(), output_type="latent")


def test_one_generator_per_image_reproduces_each_image(models):
    gan = models["fashion-ebgan"]

    def seeded(*seeds):
        return [torch.Generator().manual_seed(s) for s in seeds]

    codes = [gan.sample_inputs(len(g), "Coat", generator=g)[0] for g in (seeded(1, 2, 3), seeded(2))]
    assert torch.equal(codes[0][1], codes[1][0])  # each image's code comes from its own generator alone
    together = gan.generate(3, class_labels="Coat", generator=seeded(1, 2, 3))
    alone = gan.generate(1, class_labels="Coat", generator=seeded(2))
    # the same code, so the same image up to float rounding (a batch of 3 and a batch of 1 take different kernels)
    assert torch.allclose(together[1:2], alone, atol=1e-5)
    vae = models["fashion-vae"]
    both = vae.generate(2, generator=seeded(5, 6))
    assert torch.allclose(both[1:], vae.generate(1, generator=seeded(6)), atol=1e-6)
    with pytest.raises(ValueError, match="generators for"):
        gan.generate(3, generator=[torch.Generator()])


def test_numpy_integer_counts(models):
    assert models["fashion-ebgan"].generate(np.int64(2)).shape[0] == 2
    assert models["fashion-vae"].generate(np.int32(2)).shape[0] == 2


@pytest.mark.parametrize("verb", ["gan", "vae", "text"])
def test_bfloat16_inference(models, verb):
    name = {"gan": "fashion-ebgan", "vae": "fashion-vae", "text": "fashion-text-gan"}[verb]
    half = genhub.load_model(name, torch_dtype=torch.bfloat16)
    assert half.dtype == torch.bfloat16
    full = verbs(models)[verb](generator=torch.Generator().manual_seed(0))
    low = verbs({**models, name: half})[verb](generator=torch.Generator().manual_seed(0))
    assert low.dtype == torch.float32 and (low - full).abs().mean() < 0.05


def test_steer_in_bfloat16():
    gan = genhub.load_model("fashion-dcgan", torch_dtype=torch.bfloat16)
    images = steer(gan, "zoom", 1.5, class_labels="Bag", generator=torch.Generator().manual_seed(0))
    assert images.shape == (1, 1, 28, 28) and torch.isfinite(images).all()


@pytest.mark.parametrize("name", ["fashion-vae", "fashion-vae-2stage", "fashion-ebgan"])
def test_inpaint_in_bfloat16_keeps_known_pixels_exactly(name):
    from genhub import data
    from genhub.operations import inpaint
    from genhub.operations.inpainting import preset_mask

    images = data.as_float_images(data.load_fashion_mnist("test")[0][:4])
    mask = preset_mask("centre square", 4)
    full = inpaint(genhub.load_model(name), images, mask, steps=20, restarts=2)
    model = genhub.load_model(name, torch_dtype=torch.bfloat16)
    low = inpaint(model, images, mask, steps=20, restarts=2)
    known = mask.expand_as(images) == 0
    assert low.images.dtype == torch.float32 and torch.equal(low.images[known], images[known])
    assert (low.images - full.images)[~known].abs().mean() < 0.1  # the same fill, up to bfloat16's precision
    guide = genhub.load_model("fashion-classifier-partial")  # guided: a VAE searched under its class prior
    guided = inpaint(model, images, mask, steps=5, class_guide=guide)
    assert torch.equal(guided.images[known], images[known]) and torch.equal(
        guided.class_labels, guide.predict(images, mask=mask)
    )


@pytest.mark.parametrize(
    "card", sorted(genhub.models.CHECKPOINTS_DIR.glob("*/README.md")), ids=lambda card: card.parent.name
)
def test_every_cards_code_runs_as_written(card):
    """The python blocks of each shipped model card, run in a fresh namespace (nothing defined beforehand)."""
    blocks = re.findall(r"```python\n(.*?)```", card.read_text(), re.S)
    assert blocks, f"{card} shows no code"
    for code in blocks:
        exec(compile(code, str(card), "exec"), {})
