import pytest
import torch
from torch.distributions import Normal
from torch.distributions import kl_divergence as torch_kl

import genhub
from genhub.models.vae import VAE, VAEConfig, kl_divergence
from genhub.operations import interpolate, latent_traversal, sample


@pytest.fixture(scope="module")
def tiny_vae():
    torch.manual_seed(0)
    return VAE(VAEConfig(latent_dim=4, hidden_channels=(4, 8), hidden_size=16, beta=2.0)).eval()


def test_kl_is_the_lectures_closed_form():
    mean, logvar = torch.randn(5, 3), torch.randn(5, 3)
    by_hand = 0.5 * (logvar.exp() - logvar - 1 + mean**2).sum(1)
    reference = torch_kl(Normal(mean, (0.5 * logvar).exp()), Normal(0.0, 1.0)).sum(1)
    assert torch.allclose(kl_divergence(mean, logvar), by_hand)
    assert torch.allclose(kl_divergence(mean, logvar), reference, atol=1e-5)
    assert kl_divergence(torch.zeros(1, 3), torch.zeros(1, 3)).item() == 0


def test_loss_is_reconstruction_plus_beta_kl(tiny_vae, fashion_batch):
    out = tiny_vae(fashion_batch, generator=torch.Generator().manual_seed(0))
    bce = (
        torch.nn.functional.binary_cross_entropy(
            out.reconstruction.clamp(1e-7, 1 - 1e-7), fashion_batch, reduction="none"
        )
        .flatten(1)
        .sum(1)
        .mean()
    )
    assert out.reconstruction_loss.item() == pytest.approx(bce.item(), rel=1e-3)
    assert out.loss.item() == pytest.approx(out.reconstruction_loss.item() + 2.0 * out.kl.item(), rel=1e-6)
    assert torch.allclose(out.kl, kl_divergence(out.mean, out.logvar).mean())


def test_reparameterisation_uses_the_generator(tiny_vae, fashion_batch):
    a = tiny_vae(fashion_batch, generator=torch.Generator().manual_seed(1)).latents
    b = tiny_vae(fashion_batch, generator=torch.Generator().manual_seed(1)).latents
    c = tiny_vae(fashion_batch, sample=False).latents
    assert torch.equal(a, b) and torch.equal(c, tiny_vae.encode(fashion_batch)[0]) and not torch.equal(a, c)


def test_generate_is_seeded_and_checks_latents(tiny_vae):
    g = lambda: torch.Generator().manual_seed(7)  # noqa: E731
    assert torch.equal(tiny_vae.generate(3, generator=g()), tiny_vae.generate(3, generator=g()))
    images = tiny_vae.generate(latents=torch.zeros(2, 4))
    assert images.shape == (2, 1, 28, 28) and images.min() >= 0 and images.max() <= 1
    with pytest.raises(ValueError, match=r"\(N, 4\)"):
        tiny_vae.generate(latents=torch.zeros(2, 5))
    with pytest.raises(ValueError, match="num_images"):
        sample(tiny_vae, 0)


def test_interpolation_latent_beside_pixel(tiny_vae, fashion_batch):
    a, b = fashion_batch[:1], fashion_batch[1:2]
    out = interpolate(tiny_vae, a, b, steps=5)
    assert out["latent"].shape == out["pixel"].shape == (5, 1, 28, 28)
    assert torch.equal(out["pixel"][0], a[0]) and torch.allclose(out["pixel"][-1], b[0])
    assert torch.allclose(out["latent"][0], tiny_vae.decode(tiny_vae.encode(a)[0])[0], atol=1e-6)
    with pytest.raises(ValueError, match="steps"):
        interpolate(tiny_vae, a, b, steps=1)


def test_traversal_grid_moves_the_chosen_dimensions(tiny_vae, fashion_batch):
    grid = latent_traversal(tiny_vae, fashion_batch[:1], dims=(0, 2), span=2.0, steps=3)
    assert grid.shape == (9, 1, 28, 28)
    centre = tiny_vae.decode(tiny_vae.encode(fashion_batch[:1])[0])
    assert torch.allclose(grid[4], centre[0], atol=1e-6)  # the middle of the grid is E(z) itself
    with pytest.raises(ValueError, match="latent dimension"):
        latent_traversal(tiny_vae, fashion_batch[:1], dims=(0, 4))


def test_config_rejects_bad_values():
    for bad in (dict(beta=-1), dict(latent_dim=0), dict(image_size=30), dict(hidden_channels=(8,))):
        with pytest.raises(ValueError):
            VAEConfig(**bad)


def test_shipped_vaes_have_a_good_elbo_and_beta_trades_kl(fashion_test):
    x = fashion_test[0]
    figures = {}
    for name in ("fashion-vae", "fashion-beta-vae"):
        model = genhub.load_model(name)
        with torch.no_grad():
            out = model(x, generator=torch.Generator().manual_seed(0))
        figures[name] = (out.reconstruction_loss.item() + out.kl.item(), out.kl.item())
    assert figures["fashion-vae"][0] < 250  # -ELBO in nats/image (an MLP VAE reaches ~242)
    assert genhub.load_model("fashion-beta-vae").config.beta > 1
    assert figures["fashion-beta-vae"][1] < figures["fashion-vae"][1]  # beta > 1 pays less KL ...
    assert figures["fashion-beta-vae"][0] > figures["fashion-vae"][0]  # ... and a worse ELBO


def test_two_stage_vae_samples_through_its_second_stage(tmp_path):
    torch.manual_seed(0)
    config = VAEConfig(latent_dim=4, hidden_channels=(4, 8), hidden_size=16, second_stage_hidden_size=8)
    model = VAE(config).eval()
    seed = lambda: torch.Generator().manual_seed(3)  # noqa: E731
    noise = torch.randn(5, 4, generator=seed())
    both = model.generate(5, generator=seed())
    assert torch.allclose(both, model.decode(model.second_stage.decoder(noise)), atol=1e-6)
    assert torch.allclose(model.generate(5, generator=seed(), stages=1), model.decode(noise), atol=1e-6)
    codes = torch.randn(7, 4)
    assert model.second_stage(codes).shape == (7,)  # its -ELBO per code
    with pytest.raises(ValueError, match="one stage"):
        VAE(VAEConfig(latent_dim=4, hidden_channels=(4, 8), hidden_size=16)).generate(2, stages=2)
    model.save_pretrained(tmp_path)
    assert torch.allclose(genhub.load_model(tmp_path).generate(5, generator=seed()), both, atol=1e-6)


def test_shipped_two_stage_vae_samples_closer_to_the_data(fashion_test):
    from genhub.metrics import vae_sample_quality

    classifier, x = genhub.load_model("fashion-classifier"), fashion_test[0]
    one = vae_sample_quality(genhub.load_model("fashion-vae"), classifier, x, num_samples=2000)
    two = vae_sample_quality(genhub.load_model("fashion-vae-2stage"), classifier, x, num_samples=2000)
    assert two["sample_fid"] < 0.75 * one["sample_fid"]
    assert two["sample_fid"] < two["sample_fid_first_stage_prior"]  # what the second stage adds


def test_class_prior_is_each_class_gaussian_and_round_trips(tmp_path):
    """fit_class_prior stores each class's mean and covariance (+ jitter); class_prior_energy is 1/2 the
    Mahalanobis distance under it (checked against torch.distributions); the buffers save and load."""
    from torch.distributions import MultivariateNormal

    generator = torch.Generator().manual_seed(0)
    labels = torch.arange(3).repeat_interleave(400)
    shift = torch.tensor([[0.0, 0.0, 0.0], [5.0, 0.0, 1.0], [0.0, -4.0, 2.0]])
    codes = torch.randn(1200, 3, generator=generator) * torch.tensor([1.0, 0.5, 2.0]) + shift[labels]
    model = VAE(VAEConfig(latent_dim=3, hidden_channels=(4, 8), hidden_size=16, num_classes=3)).eval()
    model.fit_class_prior(codes, labels, jitter=0.0)
    for c in range(3):
        own = codes[labels == c]
        assert torch.allclose(model.class_means[c], own.mean(0), atol=1e-5)
        sigma = model.class_scale_tril[c] @ model.class_scale_tril[c].T
        assert torch.allclose(sigma, torch.cov(own.T), atol=1e-4)
        z = torch.randn(5, 3, generator=generator)
        reference = MultivariateNormal(own.mean(0), torch.cov(own.T))
        constant = reference.log_prob(own.mean(0)[None])  # log p at the mean
        energy = model.class_prior_energy(z, torch.full((5,), c))
        assert torch.allclose(energy, constant - reference.log_prob(z), atol=1e-3)
    assert model.class_prior_energy(model.class_means, torch.arange(3)).abs().max() < 1e-5
    drawn = model.sample_class_prior(torch.full((2000,), 1), torch.Generator().manual_seed(1))
    assert torch.allclose(drawn.mean(0), model.class_means[1], atol=0.1)
    model.save_pretrained(tmp_path)
    loaded = VAE.from_pretrained(tmp_path)
    assert torch.equal(loaded.class_means, model.class_means)
    assert torch.equal(loaded.class_scale_tril, model.class_scale_tril)
    with pytest.raises(ValueError, match="no class prior"):
        VAE(VAEConfig(latent_dim=3, hidden_channels=(4, 8), hidden_size=16)).class_prior_energy(z, labels[:5])
    with pytest.raises(ValueError, match="num_classes must be >= 0"):
        VAEConfig(num_classes=-1)
