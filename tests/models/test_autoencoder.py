import pytest
import torch
import torch.nn.functional as F
from safetensors import safe_open

import genhub
from genhub.models.autoencoder import Autoencoder, AutoencoderConfig, corrupt, reconstruction_loss
from genhub.operations import reconstruct


def tiny(**kw):
    torch.manual_seed(0)
    return Autoencoder(AutoencoderConfig(image_size=4, hidden_size=kw.pop("hidden_size", 6), **kw))


def test_bce_and_mse_losses_match_hand_computation():
    x = torch.tensor([[0.0, 1.0, 0.5, 0.2], [1.0, 0.0, 0.3, 0.9]]).view(2, 1, 2, 2)
    x_hat = torch.tensor([[0.1, 0.8, 0.5, 0.3], [0.7, 0.2, 0.4, 0.6]]).view(2, 1, 2, 2)
    import math

    per_image = [
        -sum(a * math.log(b) + (1 - a) * math.log(1 - b) for a, b in zip(xr, hr))
        for xr, hr in zip(x.view(2, -1).tolist(), x_hat.view(2, -1).tolist())
    ]
    assert reconstruction_loss(x, x_hat, "bce").item() == pytest.approx(sum(per_image) / 2, rel=1e-6)
    half_sq = [
        0.5 * sum((a - b) ** 2 for a, b in zip(xr, hr))
        for xr, hr in zip(x.view(2, -1).tolist(), x_hat.view(2, -1).tolist())
    ]
    assert reconstruction_loss(x, x_hat, "mse").item() == pytest.approx(sum(half_sq) / 2, rel=1e-6)


def test_encoder_decoder_follow_the_formulas():
    model = tiny(tied_weights=False)
    x = torch.rand(3, 1, 4, 4)
    h = torch.sigmoid(x.flatten(1) @ model.encoder.weight.T + model.encoder.bias)
    assert torch.allclose(model.encode(x), h)
    x_hat = torch.sigmoid(h @ model.decoder.weight.T + model.decoder.bias).view(3, 1, 4, 4)
    assert torch.allclose(model.decode(h), x_hat)


def test_tied_weights_are_one_tensor_through_save_load_and_a_training_step(tmp_path):
    model = tiny(tied_weights=True, hidden_size=20)  # over-complete: d = 20 > n = 16
    assert sorted(n for n, _ in model.named_parameters()) == ["decoder_bias", "encoder.bias", "encoder.weight"]
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    x = torch.rand(8, 1, 4, 4)
    model(x).loss.backward()
    optimizer.step()
    h = model.encode(x)
    assert torch.allclose(
        model.decode(h).flatten(1), torch.sigmoid(F.linear(h, model.encoder.weight.T, model.decoder_bias))
    )
    model.save_pretrained(tmp_path)
    with safe_open(tmp_path / "model.safetensors", "pt") as f:
        assert sorted(f.keys()) == ["decoder_bias", "encoder.bias", "encoder.weight"]
    loaded = genhub.load_model(tmp_path)
    assert torch.equal(loaded(x).reconstruction, model.eval()(x).reconstruction)


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
def test_contractive_penalty_equals_autograd_jacobian_norm(activation):
    model = tiny(encoder_activation=activation, contractive_weight=0.1)
    x = torch.rand(3, 1, 4, 4)
    closed = model.contractive_penalty(x)
    for i in range(3):
        jac = torch.autograd.functional.jacobian(lambda v: model.encode(v.view(1, 1, 4, 4))[0], x[i].flatten())
        assert closed[i].item() == pytest.approx(jac.pow(2).sum().item(), rel=1e-5)
    out = model(x)
    assert out.loss.item() == pytest.approx(out.reconstruction_loss.item() + 0.1 * closed.mean().item(), rel=1e-5)


def test_sigmoid_closed_form_of_the_lecture():
    model = tiny()
    x = torch.rand(2, 1, 4, 4)
    h = model.encode(x)
    expected = ((h * (1 - h)) ** 2 * model.encoder.weight.pow(2).sum(1)).sum(1)
    assert torch.allclose(model.contractive_penalty(x), expected)


def test_corruptions(fashion_batch):
    x = fashion_batch
    g = lambda: torch.Generator().manual_seed(3)  # noqa: E731
    masked = corrupt(x, "masking", 0.5, g())
    changed = (masked != x) & (x > 0)
    assert 0.4 < changed.sum() / (x > 0).sum() < 0.6 and (masked[changed] == 0).all()
    salted = corrupt(x, "salt_and_pepper", 0.3, g())
    hit = salted != x
    assert set(salted[hit].unique().tolist()) <= {0.0, 1.0} and 0.2 < hit.float().mean() < 0.35
    noisy = corrupt(x, "gaussian", 0.5, g())
    assert noisy.min() >= 0 and noisy.max() <= 1 and torch.equal(noisy, corrupt(x, "gaussian", 0.5, g()))
    assert torch.equal(corrupt(x, "none", 0.0), x)
    with pytest.raises(ValueError, match="noise_type"):
        corrupt(x, "blur", 0.5)


def test_denoising_model_corrupts_only_in_training():
    model = tiny(noise_type="masking", noise_level=0.5)
    x = torch.rand(4, 1, 4, 4)
    assert torch.equal(model.eval()(x).corrupted, x)
    assert not torch.equal(model.train()(x, generator=torch.Generator().manual_seed(0)).corrupted, x)


@pytest.mark.parametrize(
    "bad",
    [
        dict(hidden_size=0),
        dict(noise_type="gaussian"),
        dict(noise_type="none", noise_level=0.3),
        dict(reconstruction_loss="l1"),
        dict(decoder_activation="identity"),
        dict(contractive_weight=-1),
    ],
)
def test_config_rejects_bad_values(bad):
    with pytest.raises(ValueError):
        AutoencoderConfig(**bad)


def test_round_trip_gives_identical_outputs_on_real_data(tmp_path, fashion_batch):
    model = Autoencoder(AutoencoderConfig(hidden_size=32, tied_weights=False)).eval()
    model.save_pretrained(tmp_path)
    from transformers import AutoModel

    loaded = AutoModel.from_pretrained(tmp_path).eval()
    assert type(loaded) is Autoencoder
    assert torch.equal(loaded(fashion_batch).reconstruction, model(fashion_batch).reconstruction)


SHIPPED = ["fashion-ae-under", "fashion-ae-over", "fashion-dae", "fashion-cae"]


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_autoencoders_reconstruct_test_images(name, fashion_test):
    model = genhub.load_model(name)
    x = fashion_test[0]
    out = reconstruct(model, x)
    # a constant image at the data mean scores ~ 390 nats; every shipped model does far better
    assert out["loss"].mean() < 300 and out["psnr"].mean() > 15
    assert model.config.hidden_size < 784 if name == "fashion-ae-under" else model.config.hidden_size > 784


def test_denoising_beats_plain_on_corrupted_input(fashion_test):
    x = fashion_test[0]
    dae, plain = genhub.load_model("fashion-dae"), genhub.load_model("fashion-ae-over")
    noisy = [reconstruct(m, x, "gaussian", 0.5, torch.Generator().manual_seed(0))["loss"].mean() for m in (dae, plain)]
    assert noisy[0] < 0.8 * noisy[1]


def test_contractive_model_contracts_more_than_plain(fashion_test):
    x = fashion_test[0][:200]
    cae, plain = genhub.load_model("fashion-cae"), genhub.load_model("fashion-ae-over")
    with torch.no_grad():
        assert cae.contractive_penalty(x).mean() < 0.5 * plain.contractive_penalty(x).mean()


def test_reconstruct_rejects_bad_images():
    model = tiny()
    with pytest.raises(ValueError, match="NaN"):
        reconstruct(model, torch.full((1, 1, 4, 4), float("nan")))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        reconstruct(model, torch.full((1, 1, 4, 4), 2.0))
    with pytest.raises(ValueError, match="4x4"):
        reconstruct(model, torch.rand(1, 1, 5, 5))
