import concurrent.futures
import math

import pytest
import torch
import torch.nn.functional as F
from transformers import AutoModel

import genhub
from genhub.models.ebgan import EBGAN, EBGANConfig, pulling_away, truncated_normal
from genhub.operations import (
    class_ids_from_names,
    interpolate_seeds,
    one_hot_from_names,
    sample,
    truncated_noise_sample,
)

NAMES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


def tiny(objective="energy", **kw):
    torch.manual_seed(0)
    config = EBGANConfig(
        objective=objective,
        latent_dim=8,
        class_embed_dim=4,
        generator_channels=(8, 4),
        cost_channels=(4, 8),
        cost_code_dim=6,
        class_names=NAMES,
        **kw,
    )
    return EBGAN(config).eval()


@pytest.fixture
def batch(fashion_batch):
    return fashion_batch[:6], torch.tensor([0, 1, 2, 3, 4, 5])


def test_energy_is_the_autoencoder_reconstruction_error(batch):
    model = tiny()
    x, y = batch
    code = model.cost.encode(x, y)
    x_hat = (torch.tanh(model.cost.decoder(code)) + 1) / 2
    assert torch.allclose(model.energy(x, y), ((x_hat - x) ** 2).flatten(1).sum(1), rtol=1e-5)


def test_cost_and_generator_losses_match_hand_computation(batch):
    model = tiny(margin=5.0)
    x, y = batch
    z, y_fake = model.sample_inputs(6, generator=torch.Generator().manual_seed(0))
    fake = model(z, y_fake)
    e_real, e_fake = model.energy(x, y), model.energy(fake, y_fake)
    cost = model.cost_loss(x, fake, y, y_fake)
    assert cost.loss.item() == pytest.approx((e_real.mean() + torch.clamp(5.0 - e_fake, min=0).mean()).item(), rel=1e-5)
    assert model.generator_loss(fake, y_fake).loss.item() == pytest.approx(e_fake.mean().item(), rel=1e-5)


def test_margin_term_vanishes_when_fake_energy_exceeds_the_margin(batch):
    model = tiny(margin=1e-6)
    x, y = batch
    fake = model(*model.sample_inputs(6, generator=torch.Generator().manual_seed(1)))
    cost = model.cost_loss(x, fake, y, y)
    assert cost.loss.item() == pytest.approx(model.energy(x, y).mean().item(), rel=1e-6)
    fake.retain_grad()
    cost.loss.backward()
    assert fake.grad is None or fake.grad.abs().sum() == 0  # fakes detached: no gradient to G through L_C


def test_nonsaturating_losses(batch):
    model = tiny("nonsaturating")
    x, y = batch
    fake = model(*model.sample_inputs(6, generator=torch.Generator().manual_seed(2)))
    d_real, d_fake = -model.energy(x, y), -model.energy(fake, y)
    expected = F.softplus(-d_real).mean() + F.softplus(d_fake).mean()
    assert model.cost_loss(x, fake, y, y).loss.item() == pytest.approx(expected.item(), rel=1e-5)
    assert model.generator_loss(fake, y).loss.item() == pytest.approx(F.softplus(-d_fake).mean().item(), rel=1e-5)


def test_pulling_away_term_by_hand():
    s = torch.tensor([[1.0, 0.0], [1.0, 1.0], [0.0, 2.0]])
    cos2 = [(1 / math.sqrt(2)) ** 2, 0.0, (1 / math.sqrt(2)) ** 2]  # pairs (0,1), (0,2), (1,2)
    assert pulling_away(s).item() == pytest.approx(2 * sum(cos2) / (3 * 2), rel=1e-6)
    model = tiny(pull_away_weight=0.5)
    fake = model(*model.sample_inputs(6, generator=torch.Generator().manual_seed(3)))
    out = model.generator_loss(fake, torch.zeros(6, dtype=torch.long))
    assert out.pull_away is not None and out.loss.item() == pytest.approx(
        out.energy_fake.item() + 0.5 * out.pull_away.item(), rel=1e-5
    )


@pytest.mark.parametrize("truncation", [0.1, 0.5, 1.0])
def test_truncated_noise_lies_within_the_truncation(truncation):
    z = truncated_noise_sample(256, 64, truncation, seed=0)
    assert z.shape == (256, 64) and z.abs().max() <= 2 * truncation
    assert torch.equal(z, truncated_noise_sample(256, 64, truncation, seed=0))
    assert z.std() > 0.5 * truncation  # still spread, not collapsed


@pytest.mark.parametrize("bad", [0, -0.5, float("nan"), 1.5, "1"])
def test_bad_truncation(bad):
    with pytest.raises(ValueError, match="truncation"):
        truncated_normal((2, 3), bad)


def test_class_vocabulary():
    model = tiny()
    assert class_ids_from_names(["sneaker", "Bag"], model).tolist() == [7, 8]
    assert one_hot_from_names("Dress", model).argmax(1).tolist() == [3]
    with pytest.raises(ValueError, match="unknown class name 'Parka'.*known: T-shirt/top"):
        one_hot_from_names(["Parka"], model)
    with pytest.raises(ValueError, match="class labels must be ids in 0..9"):
        model.generate(2, class_labels=[3, 12])


def test_generate_is_seeded_and_checks_its_inputs():
    model = tiny()
    g = lambda: torch.Generator().manual_seed(5)  # noqa: E731
    a = model.generate(4, class_labels="Coat", truncation=0.7, generator=g())
    assert a.shape == (4, 1, 28, 28) and a.min() >= 0 and a.max() <= 1
    assert torch.equal(a, model.generate(4, class_labels="Coat", truncation=0.7, generator=g()))
    for bad, message in [
        (dict(num_images=0), "num_images"),
        (dict(num_images=5000), "num_images"),
        (dict(num_images=2, class_labels=[1, 2, 3]), "3 class labels for 2 images"),
        (dict(latents=torch.full((2, 8), float("nan"))), "NaN"),
        (dict(latents=torch.zeros(2, 9)), r"\(N, 8\)"),
    ]:
        with pytest.raises(ValueError, match=message):
            model.generate(**bad)


def test_same_seed_same_images_under_concurrent_calls():
    model = tiny()

    def draw(seed):
        return model.generate(8, truncation=0.9, generator=torch.Generator().manual_seed(seed))

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        results = list(pool.map(draw, [1, 2] * 4))
    assert all(torch.equal(results[0], r) for r in results[::2]) and not torch.equal(results[0], results[1])


def test_seed_interpolation_ends_at_the_two_seeds():
    model = tiny()
    strip = interpolate_seeds(model, 3, 4, steps=5, class_label="Bag", truncation=0.8)
    ends = model.generate(latents=torch.cat([truncated_noise_sample(1, 8, 0.8, s) for s in (3, 4)]), class_labels="Bag")
    assert strip.shape == (5, 1, 28, 28) and torch.allclose(strip[[0, -1]], ends, atol=1e-6)


def test_config_rejects_bad_values():
    for bad in (dict(objective="wgan"), dict(margin=0), dict(pull_away_weight=-1), dict(class_names=["a"])):
        with pytest.raises(ValueError):
            EBGANConfig(**bad)


@pytest.mark.parametrize("name", ["fashion-ebgan", "fashion-dcgan"])
def test_shipped_gans_sample_the_requested_class(name, tmp_path):
    model = AutoModel.from_pretrained(f"checkpoints/{name}").eval()  # after `import genhub`, nothing else
    assert type(model) is EBGAN and model.config.class_names == NAMES
    classifier = genhub.load_model("fashion-classifier")
    requested = torch.arange(10).repeat_interleave(20)
    images = sample(model, 200, class_labels=requested, truncation=0.8, generator=torch.Generator().manual_seed(0))
    assert (classifier.predict(images) == requested).float().mean() > 0.6
