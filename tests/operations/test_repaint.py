"""RePaint: inpainting under the diffusion prior keeps the known pixels bit-identical, never reads the hidden ones,
refuses bad requests with what is accepted, and with the shipped model keeps the item's class."""

import pytest
import torch

import genhub
from genhub.models.diffusion import Diffusion, DiffusionConfig
from genhub.operations import inpaint, preset_mask
from genhub.operations.repaint import repaint


@pytest.fixture(scope="module")
def tiny():
    torch.manual_seed(0)
    return Diffusion(DiffusionConfig(block_out_channels=[8, 16], norm_num_groups=4)).eval()


def test_known_pixels_kept_and_hidden_pixels_never_read(tiny, fashion_batch):
    x, mask = fashion_batch[:3], preset_mask("centre square", 3)
    run = dict(num_inference_steps=6, jump_length=2, jump_n_sample=2, class_labels=[0, 1, 2])
    out = repaint(tiny, x, mask, generator=torch.Generator().manual_seed(0), **run)
    known = mask.expand_as(x) == 0
    assert torch.equal(out.images[known], x[known]) and not torch.equal(out.images, x)
    scrambled = torch.where(mask.bool(), torch.rand_like(x), x)  # other hidden pixels: the same fill
    again = repaint(tiny, scrambled, mask, generator=torch.Generator().manual_seed(0), **run)
    assert torch.equal(out.images, again.images)
    via_inpaint = inpaint(tiny, x, torch.zeros_like(mask))  # nothing to fill: the input back
    assert torch.equal(via_inpaint.images, x)


def test_bad_requests_are_refused(tiny, fashion_batch):
    x, mask = fashion_batch[:1], preset_mask("left half", 1)
    with pytest.raises(ValueError, match="num_inference_steps must be an integer in 2..250"):
        repaint(tiny, x, mask, num_inference_steps=1)
    with pytest.raises(ValueError, match="jump_n_sample must be an integer in 1..10"):
        repaint(tiny, x, mask, jump_n_sample=0)
    with pytest.raises(ValueError, match="guidance_scale must be a number in 0..20"):
        repaint(tiny, x, mask, guidance_scale="3")
    with pytest.raises(ValueError, match="class labels must be integers in 0..9"):
        repaint(tiny, x, mask, class_labels=[12])
    with pytest.raises(ValueError, match="RePaint needs a genhub Diffusion model"):
        repaint(genhub.load_model("fashion-vae"), x, mask)


@pytest.mark.slow
def test_shipped_diffusion_prior_fills_half_items_in_their_class(fashion_test):
    images, labels = fashion_test[0][:20], fashion_test[1][:20]
    mask = preset_mask("left half", 20)
    model, guide = genhub.load_model("fashion-diffusion"), genhub.load_model("fashion-classifier-partial")
    out = inpaint(model, images, mask, class_guide=guide, generator=torch.Generator().manual_seed(0))
    classifier = genhub.load_model("fashion-classifier")
    assert (classifier.predict(out.images) == labels).float().mean() >= 0.75
    hole = mask.expand_as(images).bool()
    assert ((out.images - images)[hole] ** 2).mean() < ((0.0 - images)[hole] ** 2).mean()  # better than black
