import pytest
import torch

import genhub
from genhub.models.vae import VAE, VAEConfig
from genhub.operations.inpainting import binary_mask, context_weights, inpaint, inpaint_baseline, poisson_blend


@pytest.fixture(scope="module")
def tiny_vae():
    torch.manual_seed(0)
    return VAE(VAEConfig(latent_dim=4, hidden_channels=(4, 8), hidden_size=16)).eval()


def centre_mask(n=1):
    mask = torch.zeros(n, 1, 28, 28)
    mask[..., 7:21, 7:21] = 1
    return mask


def test_known_pixels_are_bit_identical(tiny_vae, fashion_batch):
    x = fashion_batch[:3]
    mask = centre_mask(3)
    for out in (
        inpaint(tiny_vae, x, mask, steps=5, generator=torch.Generator().manual_seed(0))["images"],
        *(inpaint_baseline(x, mask, m) for m in ("telea", "navier_stokes", "mean")),
    ):
        known = mask.expand_as(x) == 0
        assert torch.equal(out[known], x[known])
        assert not torch.equal(out, x)


def test_empty_mask_returns_the_input(tiny_vae, fashion_batch):
    out = inpaint(tiny_vae, fashion_batch[:2], torch.zeros(2, 1, 28, 28))
    assert torch.equal(out["images"], fashion_batch[:2])


def test_full_mask_gives_a_sample(tiny_vae, fashion_batch):
    out = inpaint(tiny_vae, fashion_batch[:1], torch.ones(1, 1, 28, 28), steps=5)["images"]
    assert out.shape == (1, 1, 28, 28) and torch.isfinite(out).all() and 0 <= out.min() and out.max() <= 1


def test_masks_are_checked_and_soft_masks_thresholded(fashion_batch):
    x = fashion_batch[:1]
    with pytest.raises(ValueError, match="does not match"):
        binary_mask(torch.zeros(1, 1, 14, 14), x)
    with pytest.raises(ValueError, match=r"\(N, 1, H, W\)"):
        binary_mask(torch.zeros(28, 28), x)
    soft = torch.linspace(0, 1, 28 * 28).view(1, 1, 28, 28)  # anti-aliased edges
    assert set(binary_mask(soft, x).unique().tolist()) == {0.0, 1.0}
    assert binary_mask(soft, x).sum() == (soft > 0.5).sum()


def test_context_weights_follow_yeh():
    mask = centre_mask()
    w = context_weights(mask)
    assert (w[mask.bool()] == 0).all()
    assert w[0, 0, 6, 14] > w[0, 0, 2, 14] == pytest.approx(0.1)  # next to the hole > far away (the floor)


def test_poisson_blend_keeps_the_fills_gradients_and_the_border():
    images = torch.full((1, 1, 12, 12), 0.5)
    mask = torch.zeros(1, 1, 12, 12)
    mask[..., 4:8, 4:8] = 1
    fill = torch.full_like(images, 0.9)  # flat fill, brighter than the surroundings
    out = poisson_blend(fill, images, mask, iterations=2000)
    assert torch.allclose(out, images, atol=1e-3)  # a flat fill takes the border's level: no seam


@pytest.mark.slow
def test_shipped_priors_beat_the_mean_fill(fashion_test):
    x = fashion_test[0][:24]
    mask = centre_mask(24)

    def hole_mse(out):
        return ((out - x) ** 2 * mask).sum() / mask.sum()

    mean = hole_mse(inpaint_baseline(x, mask, "mean"))
    for name in ("fashion-vae", "fashion-ebgan"):
        out = inpaint(genhub.load_model(name), x, mask, steps=100, generator=torch.Generator().manual_seed(0))
        assert hole_mse(out["images"]) < 0.8 * mean, name


@pytest.mark.parametrize("kind", ["centre square", "left half", "random blocks", "strokes"])
def test_no_method_reads_the_hidden_pixels(kind, fashion_batch):
    import genhub
    from genhub.operations import inpaint, inpaint_baseline, preset_mask

    x = fashion_batch[:3]
    mask = preset_mask(kind, 3, torch.Generator().manual_seed(1))
    other = torch.where(mask.bool(), torch.rand(x.shape, generator=torch.Generator().manual_seed(2)), x)
    guide = genhub.load_model("fashion-classifier-partial")  # with it, the GAN's fill is also refined by its reading
    for model, class_guide in (("fashion-vae", None), ("fashion-dcgan", None), ("fashion-dcgan", guide)):
        prior = genhub.load_model(model)
        a, b = (inpaint(prior, v, mask, steps=5, class_guide=class_guide).images for v in (x, other))
        assert torch.equal(a, b), model
    for method in ("telea", "navier_stokes", "mean"):
        assert torch.equal(inpaint_baseline(x, mask, method), inpaint_baseline(other, mask, method)), method


def test_a_full_mask_is_not_the_original(fashion_batch):
    from genhub.operations import inpaint_baseline

    x = fashion_batch[:2]
    full = torch.ones(2, 1, 28, 28)
    for method in ("telea", "navier_stokes", "mean"):
        assert not torch.equal(inpaint_baseline(x, full, method), x), method


def test_inpainting_keeps_the_items_class(fashion_test):
    """The prior's search starts from the bank samples nearest the known pixels, so the fill keeps the class:
    on 100 test items with the centre 14x14 hidden, the classifier's accuracy drops by at most 6 points."""
    import genhub
    from genhub.operations import inpaint, preset_mask

    x, y = fashion_test[0][:100], fashion_test[1][:100]
    classifier = genhub.load_model("fashion-classifier")
    untouched = float((classifier.predict(x) == y).float().mean())
    mask = preset_mask("centre square", len(x))
    filled = inpaint(genhub.load_model("fashion-vae"), x, mask, steps=50, restarts=4).images
    assert float((classifier.predict(filled) == y).float().mean()) >= untouched - 0.06


def test_a_class_guide_keeps_the_class_of_half_an_item(fashion_test):
    """The left half hidden, GAN prior, the search's starts alone (steps=0) on 100 test items: the class the
    nearest bank samples carry is right far less often than the class the partial-view classifier names."""
    import genhub
    from genhub.operations import inpaint, preset_mask

    x, y = fashion_test[0][:100], fashion_test[1][:100]
    gan, guide = genhub.load_model("fashion-ebgan"), genhub.load_model("fashion-classifier-partial")
    mask = preset_mask("left half", len(x))
    plain = inpaint(gan, x, mask, steps=0, restarts=4)
    guided = inpaint(gan, x, mask, steps=0, restarts=4, class_guide=guide)
    assert torch.equal(guided.class_labels, guide.predict(x, mask=mask))  # every start is of the guide's class
    assert (guided.class_labels == y).float().mean() >= (plain.class_labels == y).float().mean() + 0.05
    assert torch.equal(guided.images * (1 - mask), x * (1 - mask))  # known pixels bit-identical


def test_the_guides_refinement_keeps_the_class_of_half_an_item(fashion_test):
    """The left half hidden, GAN prior, 100 test items: refined with the guide's reading of the completed image,
    the fills are read as the class searched in by the evaluation classifier (another network than the guide) more
    often than the same search's fills without the refinement, and are as close to the hidden pixels."""
    import genhub
    from genhub.metrics import masked_psnr
    from genhub.operations import inpaint, preset_mask

    x = fashion_test[0][:100]
    gan, guide = genhub.load_model("fashion-dcgan"), genhub.load_model("fashion-classifier-partial")
    classifier, mask = genhub.load_model("fashion-classifier"), preset_mask("left half", len(x))
    agree, psnr = {}, {}
    for weight in (0.0, None):  # None: the GAN's default GUIDE_WEIGHT
        out = inpaint(gan, x, mask, steps=50, restarts=2, class_guide=guide, guide_weight=weight)
        agree[weight] = int((classifier.predict(out.images) == out.class_labels).sum())
        psnr[weight] = float(masked_psnr(out.images, x, mask).mean())
    assert agree[None] >= agree[0.0] + 2, agree
    assert psnr[None] >= psnr[0.0] - 0.5, psnr


@pytest.mark.parametrize("weight", [-1.0, float("nan"), "strong"])
def test_a_bad_guide_weight_is_refused(weight, fashion_batch):
    import genhub
    from genhub.operations import inpaint, preset_mask

    with pytest.raises(ValueError, match="guide_weight must be a number in 0..10000"):
        inpaint(genhub.load_model("fashion-dcgan"), fashion_batch[:1], preset_mask("left half"), guide_weight=weight)


def test_a_class_guide_must_read_partial_views(fashion_batch):
    import genhub
    from genhub.operations import inpaint, preset_mask

    vae, mask = genhub.load_model("fashion-vae"), preset_mask("left half", len(fashion_batch))
    with pytest.raises(ValueError, match="partial_view=True"):
        inpaint(vae, fashion_batch, mask, steps=1, class_guide=genhub.load_model("fashion-classifier"))
    guide = genhub.load_model("fashion-classifier-partial")
    guided = inpaint(vae, fashion_batch, mask, steps=1, class_guide=guide)
    assert guided.images.shape == fashion_batch.shape
    assert torch.equal(guided.class_labels, guide.predict(fashion_batch, mask=mask))  # searched in the guide's class
    assert inpaint(vae, fashion_batch, mask, steps=1).class_labels is None  # no guide: no class


def test_a_vaes_class_prior_keeps_the_guides_class(fashion_test):
    """The left half hidden, 100 test items, the Space's VAE prior guided: searched in z under the guide's class's
    Gaussian, its fills are read as that class by the evaluation classifier more often than when the same weights
    are searched as before (the class prior removed: u under N(0, I)), which drifts to the class the known half
    looks like."""
    import genhub
    from genhub.models.vae import VAE, VAEConfig
    from genhub.operations import inpaint, preset_mask

    x = fashion_test[0][:100]
    vae, guide = genhub.load_model("fashion-vae-2stage"), genhub.load_model("fashion-classifier-partial")
    plain = VAE(VAEConfig.from_dict({**vae.config.to_dict(), "num_classes": 0})).eval()
    assert plain.load_state_dict(vae.state_dict(), strict=False).unexpected_keys == ["class_means", "class_scale_tril"]
    classifier, mask = genhub.load_model("fashion-classifier"), preset_mask("left half", len(x))
    wanted = guide.predict(x, mask=mask)
    agree = {}
    for name, model in (("class prior", vae), ("N(0, I)", plain)):
        filled = inpaint(model, x, mask, steps=50, restarts=4, class_guide=guide).images
        agree[name] = float((classifier.predict(filled) == wanted).float().mean())
    assert agree["class prior"] >= agree["N(0, I)"] + 0.04, agree


def test_a_two_stage_vae_is_searched_in_z_under_its_class_prior(fashion_batch):
    """Guided, the two-stage VAE's search variable is z itself (decoded directly, bank codes from the class
    Gaussians); unguided it is the second stage's noise u (decoded through z = D2(u))."""
    import genhub
    from genhub.operations import inpaint, preset_mask

    vae, guide = genhub.load_model("fashion-vae-2stage"), genhub.load_model("fashion-classifier-partial")
    assert vae.config.num_classes == 10 and vae.config.second_stage_hidden_size
    x, mask = fashion_batch[:4], preset_mask("centre square", 4)
    guided = inpaint(vae, x, mask, steps=5, class_guide=guide)
    plain = inpaint(vae, x, mask, steps=5)
    with torch.no_grad():
        assert torch.allclose(vae.decode(guided.latents), guided.raw, atol=1e-5)
        assert torch.allclose(vae.decode(vae.sample_latents(plain.latents)), plain.raw, atol=1e-5)
        assert not torch.allclose(vae.decode(plain.latents), plain.raw, atol=1e-2)
    assert torch.equal(guided.class_labels, guide.predict(x, mask=mask)) and plain.class_labels is None


@pytest.mark.parametrize("name", ["emoji-vae-32", "emoji-dcgan-32"])
def test_colour_emoji_are_inpainted_under_the_colour_priors(name):
    from genhub.emoji import load_emoji

    x = load_emoji("test", 32)["images"][::60][:6]  # held-out emoji of several groups
    mask = torch.zeros(len(x), 1, 32, 32)
    mask[:, :, 10:22, 10:22] = 1
    other = torch.where(mask.bool(), torch.rand(x.shape, generator=torch.Generator().manual_seed(2)), x)
    prior = genhub.load_model(name)
    out, again = (inpaint(prior, v, mask, steps=30).images for v in (x, other))
    assert out.shape == (6, 3, 32, 32) and torch.equal(out, again)  # the hidden pixels are never read
    assert torch.equal(out * (1 - mask), x * (1 - mask))  # the known pixels come back bit-identical

    def hole_mse(filled):
        return float(((filled - x) ** 2 * mask).sum() / (3 * mask.sum()))

    assert hole_mse(out) < 0.8 * hole_mse(inpaint_baseline(x, mask, "mean"))  # better than the known colours' mean
