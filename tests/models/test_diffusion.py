"""The diffusion family: a diffusers UNet2DModel and noise schedule inside a PreTrainedModel, classifier-free
guidance, the samplers, the trajectory, save/load through AutoModel, training, and the shipped checkpoint."""

from dataclasses import replace

import pytest
import torch
from accelerate import Accelerator
from accelerate.utils import set_seed
from transformers import AutoModel

import genhub
from genhub import data
from genhub.models.diffusion import SAMPLERS, Diffusion, DiffusionConfig
from genhub.train import RECIPES
from genhub.train.loop import RunState, train_model


def tiny(**overrides) -> Diffusion:
    torch.manual_seed(0)
    config = dict(block_out_channels=[8, 16], norm_num_groups=4, num_classes=3, default_steps=4) | overrides
    return Diffusion(DiffusionConfig(**config)).eval()


def seeded(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_save_load_round_trip_through_automodel(tmp_path):
    model = tiny()
    model.save_pretrained(tmp_path)
    assert (tmp_path / "model.safetensors").exists() and not list(tmp_path.glob("*.bin"))
    loaded = AutoModel.from_pretrained(tmp_path)
    assert type(loaded) is Diffusion and loaded.config.scheduler_config == model.config.scheduler_config
    strict = genhub.load_model(tmp_path)  # no missing or unexpected keys
    a = model.generate(2, class_labels=1, generator=seeded())
    assert torch.equal(a, strict.generate(2, class_labels=1, generator=seeded()))


def test_generate_is_deterministic_per_generator_and_in_range():
    model = tiny()
    a = model.generate(3, class_labels=[0, 1, 2], generator=seeded(1))
    assert a.shape == (3, 1, 28, 28) and a.min() >= 0 and a.max() <= 1
    assert torch.equal(a, model.generate(3, class_labels=[0, 1, 2], generator=seeded(1)))
    assert not torch.equal(a, model.generate(3, class_labels=[0, 1, 2], generator=seeded(2)))


def test_class_labels_and_guidance_change_the_images():
    model = tiny()
    noise = torch.randn(2, 1, 28, 28, generator=seeded())
    base = model.generate(class_labels=0, latents=noise, guidance_scale=3.0, sampler="ddim")
    other = model.generate(class_labels=2, latents=noise, guidance_scale=3.0, sampler="ddim")
    assert (base - other).abs().max() > 1e-4  # the label reaches the network
    unguided = model.generate(class_labels=0, latents=noise, guidance_scale=1.0, sampler="ddim")
    assert (base - unguided).abs().max() > 1e-4
    # w = 0 is the unconditional model: the class then makes no difference
    a, b = (model.generate(class_labels=c, latents=noise, guidance_scale=0.0, sampler="ddim") for c in (0, 2))
    assert torch.allclose(a, b)


@pytest.mark.parametrize("sampler", sorted(SAMPLERS))
def test_every_sampler_samples_and_the_trajectory_ends_at_the_images(sampler):
    model = tiny()
    out = model.sample(
        2, class_labels=1, num_inference_steps=7, sampler=sampler, trajectory_moments=8, generator=seeded()
    )
    assert out.trajectory.shape == (8, 2, 1, 28, 28) and len(out.timesteps) == 8
    assert out.timesteps[0] > out.timesteps[1] > out.timesteps[-1] == 0
    assert torch.equal(out.trajectory[-1], out.images)
    assert out.trajectory[0].std() > out.images.std() * 0.5  # starts from noise


def test_bad_requests_are_refused_with_the_accepted_values():
    model = tiny()
    with pytest.raises(ValueError, match="accepted: ddim, ddpm, dpm_solver, euler_ancestral"):
        model.generate(1, sampler="heun")
    for steps in (0, 1001, 2.5, True):
        with pytest.raises(ValueError, match="num_inference_steps must be an integer in 1..1000"):
            model.generate(1, num_inference_steps=steps)
    for scale in (-1, 21, "2", float("nan")):
        with pytest.raises(ValueError, match="guidance_scale must be a number in 0..20"):
            model.generate(1, guidance_scale=scale)
    with pytest.raises(ValueError, match="class labels must be integers in 0..2"):
        model.generate(2, class_labels=[0, 3])
    with pytest.raises(ValueError, match="num_images must be an integer"):
        model.generate(0)
    with pytest.raises(ValueError, match="block_out_channels"):
        DiffusionConfig(block_out_channels=[8, 12], norm_num_groups=8)


def test_training_lowers_the_denoising_loss_and_resumes_exactly(tmp_path):
    images, labels = data.load_fashion_mnist("train")
    images, labels = data.as_float_images(images[:256]), labels[:256]
    recipe = replace(
        RECIPES["fashion-diffusion"],
        epochs=3,
        batch_size=64,
        ema_decay=0.9,
        config=dict(block_out_channels=[8, 16], norm_num_groups=4),
    )

    def train(run):
        set_seed(0)
        model = Diffusion(DiffusionConfig(**recipe.config, class_names=list(data.FASHION_CLASSES)))
        return train_model(model, images, recipe, Accelerator(cpu=True), labels=labels, run=run, with_labels=True)

    straight, history = train(RunState())
    assert history[-1] < history[0]  # per-image summed squared error of the noise prediction falls

    class Killed(RunState):
        def save(self, accelerator, epoch, history):
            super().save(accelerator, epoch, history)
            if epoch == 1:
                raise InterruptedError

    with pytest.raises(InterruptedError):
        train(Killed(tmp_path, save_every=1))
    resumed, resumed_history = train(RunState(tmp_path, resume_from=tmp_path / "epoch_1"))
    assert resumed_history == pytest.approx(history)
    for (key, a), (_, b) in zip(straight.state_dict().items(), resumed.state_dict().items()):
        assert torch.allclose(a, b, atol=1e-6), key  # the EMA weights too


def test_shipped_checkpoint_samples_the_requested_classes():
    model = genhub.load_model("fashion-diffusion")
    classifier = genhub.load_model("fashion-classifier")
    labels = torch.arange(10).repeat(2)
    images = model.generate(20, class_labels=labels, generator=seeded())
    assert images.shape == (20, 1, 28, 28)
    assert (classifier.predict(images) == labels).float().mean() >= 0.8


def test_a_v_prediction_model_hands_the_samplers_its_noise_and_weights_its_loss_by_min_snr():
    """With prediction_type v_prediction the UNet's output is v = sqrt(abar) eps - sqrt(1 - abar) x_0; noise() turns
    the true v back into the true eps, so every sampler and RePaint read it as an eps-model; min-SNR-gamma weights the
    loss by min(SNR, gamma) / (SNR + 1)."""
    model = tiny(image_size=8, prediction_type="v_prediction", snr_gamma=5.0)
    schedule = model._train_schedule()
    x0, eps = torch.rand(2, 1, 8, 8) * 2 - 1, torch.randn(2, 1, 8, 8)
    t = torch.tensor([100, 900])
    x_t, v = schedule.add_noise(x0, eps, t), schedule.get_velocity(x0, eps, t)
    model.unet.forward = lambda x, timestep, class_labels=None: type("Out", (), {"sample": v})()  # a perfect v
    assert torch.allclose(model.noise(x_t, t, torch.tensor([0, 1])), eps, atol=1e-4)
    images, labels = torch.rand(4, 1, 8, 8), torch.tensor([0, 1, 2, 0])
    weighted = tiny(image_size=8, prediction_type="v_prediction", snr_gamma=5.0).train()
    plain = tiny(image_size=8, prediction_type="v_prediction").train()
    a = weighted(images, labels, generator=torch.Generator().manual_seed(0)).loss
    b = plain(images, labels, generator=torch.Generator().manual_seed(0)).loss
    assert torch.isfinite(a) and a < b  # every weight min(SNR, 5) / (SNR + 1) is below 1
    with pytest.raises(ValueError, match="prediction_type must be"):
        DiffusionConfig(prediction_type="sample")
