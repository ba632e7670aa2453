"""Class-conditional denoising diffusion model: a diffusers `UNet2DModel` and a diffusers noise schedule inside a
transformers `PreTrainedModel`, sampled with classifier-free guidance.

    forward process (Ho, Jain & Abbeel 2020):  x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps,   eps ~ N(0, I)
    training loss:   L = E_{x_0, t, eps} ||eps - eps_theta(x_t, t, y')||^2   per image (summed over pixels),
                     y' = y, or the null class with probability p_uncond (Ho & Salimans 2022)
    or, with prediction_type "v_prediction" (Salimans & Ho 2022) and min-SNR-gamma weights (Hang et al. 2023):
                     L = E min(SNR_t, gamma) / (SNR_t + 1) ||v - v_theta||^2,  v = sqrt(abar_t) eps - sqrt(1 - abar_t) x_0
                     (v is well posed where abar_t ~ 0, eps is not; the samplers still receive eps_hat)
    guided noise:    eps_hat = eps_theta(x_t, t, null) + w (eps_theta(x_t, t, y) - eps_theta(x_t, t, null))
Any of diffusers' schedulers in `SAMPLERS` turns eps_hat into x_{t-1}; fewer steps trade quality for speed.
Source: beyond the lecture (../shared/lecture) - its VAE and GAN next to the family that followed them.
"""

from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass

import torch
from transformers import PretrainedConfig, PreTrainedModel
from transformers.utils import ModelOutput

from ..images import as_output

SAMPLERS = {  # name -> diffusers scheduler class (imported on first use: diffusers' schedulers pull in scipy.stats,
    # most of a second at the Space's start); every one loads from the same schedule config
    "ddpm": "DDPMScheduler",  # ancestral DDPM, the sampler the model was trained for: the best classes at 20 steps
    "dpm_solver": "DPMSolverMultistepScheduler",  # DPM-Solver++ (2M), deterministic
    "ddim": "DDIMScheduler",  # deterministic DDIM (eta = 0)
    "euler_ancestral": "EulerAncestralDiscreteScheduler",  # stochastic Euler steps
}
MAX_BATCH = 1024  # largest number of images one generate() call makes
MAX_STEPS = 1000  # most sampling steps (the training schedule's length)
MAX_GUIDANCE = 20.0  # largest guidance scale accepted
CHUNK = 64  # images denoised together


def scheduler_class(name: str):
    """A diffusers scheduler class by name (e.g. "DDIMScheduler")."""
    return getattr(importlib.import_module("diffusers"), name)


class DiffusionConfig(PretrainedConfig):
    model_type = "genhub_diffusion"

    def __init__(
        self,
        image_size: int = 28,  # side of the square images; divisible by 2^(len(block_out_channels) - 1)
        num_channels: int = 1,  # image channels
        block_out_channels: tuple[int, ...] | list[int] = (32, 64, 64),  # UNet widths, one per resolution
        layers_per_block: int = 1,  # ResNet blocks per resolution on the way down (one more on the way up)
        attention_levels: tuple[int, ...] | list[int] = (),  # resolutions (indices) with self-attention
        norm_num_groups: int = 8,  # group-norm groups; divides every width
        num_classes: int = 10,  # classes; the class embedding holds one more, the null class (index num_classes)
        class_dropout: float = 0.1,  # p_uncond: share of training labels replaced by the null class
        num_train_timesteps: int = 1000,  # length T of the forward process
        beta_schedule: str = "squaredcos_cap_v2",  # diffusers' name of the noise schedule (cosine, Nichol 2021)
        default_sampler: str = "ddpm",  # a key of SAMPLERS (ancestral DDPM: the best classes at 20 steps here)
        default_steps: int = 20,  # sampling steps when generate() is not told
        default_guidance_scale: float = 1.5,  # w when generate() is not told (1 = none; 1k samples here: FID 70 / 57 /
        # 87 and class accuracy 0.87 / 0.97 / 0.98 at w = 1 / 1.5 / 2)
        class_names: list[str] | None = None,  # class names, index = class id
        prediction_type: str = "epsilon",  # what the UNet predicts: "epsilon" (the noise) or "v_prediction" (v)
        snr_gamma: float = 0.0,  # min-SNR-gamma loss weights (Hang et al. 2023); 0 = every t weighted alike
        **kwargs,
    ):
        widths = list(block_out_channels)
        if not widths or min(widths) < 1 or any(w % norm_num_groups for w in widths):
            raise ValueError(f"block_out_channels must be positive multiples of norm_num_groups, got {widths}")
        if image_size < 8 or image_size % 2 ** (len(widths) - 1):
            raise ValueError(f"image_size {image_size} must be >= 8 and divisible by 2^{len(widths) - 1}")
        if any(not 0 <= a < len(widths) for a in attention_levels):
            raise ValueError(f"attention_levels must index block_out_channels, got {list(attention_levels)}")
        if num_channels < 1 or layers_per_block < 1 or num_classes < 1:
            raise ValueError("num_channels, layers_per_block and num_classes must be positive")
        if not 0 <= class_dropout < 1:
            raise ValueError(f"class_dropout must be in [0, 1), got {class_dropout}")
        if default_sampler not in SAMPLERS:
            raise ValueError(f"default_sampler must be one of {sorted(SAMPLERS)}, got {default_sampler!r}")
        if prediction_type not in ("epsilon", "v_prediction"):
            raise ValueError(f"prediction_type must be 'epsilon' or 'v_prediction', got {prediction_type!r}")
        if snr_gamma < 0:
            raise ValueError(f"snr_gamma must be >= 0 (0 = off), got {snr_gamma}")
        if class_names is not None and len(class_names) != num_classes:
            raise ValueError(f"class_names has {len(class_names)} names for {num_classes} classes")
        self.image_size = image_size
        self.num_channels = num_channels
        self.block_out_channels = widths
        self.layers_per_block = layers_per_block
        self.attention_levels = list(attention_levels)
        self.norm_num_groups = norm_num_groups
        self.num_classes = num_classes
        self.class_dropout = float(class_dropout)
        self.num_train_timesteps = num_train_timesteps
        self.beta_schedule = beta_schedule
        self.default_sampler = default_sampler
        self.default_steps = default_steps
        self.default_guidance_scale = float(default_guidance_scale)
        self.class_names = class_names
        self.prediction_type = prediction_type
        self.snr_gamma = float(snr_gamma)
        if class_names:
            kwargs["id2label"] = dict(enumerate(class_names))
            kwargs["label2id"] = {name: i for i, name in enumerate(class_names)}
        super().__init__(**kwargs)

    @property
    def scheduler_config(self) -> dict:
        """The noise schedule as a diffusers scheduler config (every sampler in SAMPLERS loads from it)."""
        return {
            "num_train_timesteps": self.num_train_timesteps,
            "beta_schedule": self.beta_schedule,
            "prediction_type": "epsilon",  # the samplers receive eps_hat whatever the UNet predicts (guided_noise)
            "clip_sample": True,  # x_0 predictions clipped to the data's [-1, 1] (DDPM, DDIM, RePaint)
            "thresholding": True,  # DPM-Solver's dynamic thresholding of x_0 predictions, at most 1
            "sample_max_value": 1.0,
            # the cosine schedule's last steps have alpha_bar ~ 0, where an eps-prediction's x_0 is noise: samplers
            # start from T - T/steps ("leading"), not from T ("linspace", "trailing": class accuracy 0.11 at 20 steps)
            "timestep_spacing": "leading",
        }


@dataclass
class DiffusionOutput(ModelOutput):
    loss: torch.Tensor | None = None  # mean over the batch of ||eps - eps_theta||^2 summed over pixels
    noise_prediction: torch.Tensor | None = None  # the UNet's output (eps or v, as prediction_type says), (N, C, H, W)


@dataclass
class DiffusionSamples(ModelOutput):
    images: torch.Tensor | None = None  # (N, C, H, W) in [0, 1]
    trajectory: torch.Tensor | None = None  # (K, N, C, H, W) in [0, 1]: x_t at K moments, noise first
    timesteps: list[int] | None = None  # the t of each trajectory moment (0: the final image)


class Diffusion(PreTrainedModel):
    config_class = DiffusionConfig
    main_input_name = "images"
    capabilities = frozenset({"sample", "denoise"})  # genhub.models.CAPABILITIES (it inpaints through RePaint)
    sampling_options = frozenset({"class_labels", "num_inference_steps", "guidance_scale", "sampler"})

    def __init__(self, config: DiffusionConfig):
        super().__init__(config)
        depth = len(config.block_out_channels)
        down = ["AttnDownBlock2D" if i in config.attention_levels else "DownBlock2D" for i in range(depth)]
        up = ["AttnUpBlock2D" if depth - 1 - i in config.attention_levels else "UpBlock2D" for i in range(depth)]
        from diffusers import UNet2DModel  # noqa: PLC0415 (diffusers loads with the first diffusion model)

        self.unet = UNet2DModel(
            sample_size=config.image_size,
            in_channels=config.num_channels,
            out_channels=config.num_channels,
            block_out_channels=tuple(config.block_out_channels),
            layers_per_block=config.layers_per_block,
            down_block_types=tuple(down),
            up_block_types=tuple(up),
            norm_num_groups=config.norm_num_groups,
            num_class_embeds=config.num_classes + 1,  # + the null class of classifier-free guidance
        )
        self.post_init()

    def _init_weights(self, module):  # diffusers initialises its own layers; keep them
        pass

    def num_sampling_parameters(self) -> int:
        """Parameters of what samples: the whole UNet."""
        return sum(p.numel() for p in self.parameters())

    def scheduler(self, sampler: str | None = None):
        """A fresh diffusers scheduler of the model's noise schedule (`sampler`: a key of SAMPLERS)."""
        sampler = self.config.default_sampler if sampler is None else sampler
        if sampler not in SAMPLERS:
            raise ValueError(f"unknown sampler {sampler!r}; accepted: {', '.join(sorted(SAMPLERS))}")
        cls = scheduler_class(SAMPLERS[sampler])
        accepted = inspect.signature(cls.__init__).parameters  # each sampler takes the fields it knows
        return cls.from_config({k: v for k, v in self.config.scheduler_config.items() if k in accepted})

    def forward(self, images: torch.Tensor, labels: torch.Tensor | None = None, generator=None) -> DiffusionOutput:
        """The denoising loss on images (N, C, H, W) in [0, 1] with their class labels (N,) (None: unconditional)."""
        n, device = len(images), images.device
        x0 = images * 2 - 1  # the network works in [-1, 1]
        noise = torch.randn(x0.shape, generator=generator, device=device, dtype=x0.dtype)
        t = torch.randint(0, self.config.num_train_timesteps, (n,), generator=generator, device=device)
        null = torch.full((n,), self.config.num_classes, device=device, dtype=torch.long)
        labels = null if labels is None else labels.to(device)
        if self.training and self.config.class_dropout:
            drop = torch.rand(n, generator=generator, device=device) < self.config.class_dropout
            labels = torch.where(drop, null, labels)
        schedule = self._train_schedule()
        x_t = schedule.add_noise(x0, noise, t)
        prediction = self.unet(x_t, t, class_labels=labels).sample
        v = self.config.prediction_type == "v_prediction"
        target = schedule.get_velocity(x0, noise, t) if v else noise
        errors = (prediction - target).pow(2).flatten(1).sum(1)
        if self.config.snr_gamma:
            abar = schedule.alphas_cumprod.to(device)[t]
            snr = abar / (1 - abar)
            errors = errors * snr.clamp(max=self.config.snr_gamma) / (snr + 1 if v else snr)
        return DiffusionOutput(loss=errors.mean(), noise_prediction=prediction)

    def _train_schedule(self):
        """The forward process q(x_t | x_0): diffusers' DDPMScheduler of the model's schedule (made once)."""
        if not hasattr(self, "_ddpm"):
            self._ddpm = self.scheduler("ddpm")
        return self._ddpm

    def noise(self, x_t: torch.Tensor, t, labels: torch.Tensor) -> torch.Tensor:
        """eps_theta(x_t, t, y): the UNet's prediction, turned into the noise if it predicts v
        (eps = sqrt(abar_t) v + sqrt(1 - abar_t) x_t)."""
        prediction = self.unet(x_t, t, class_labels=labels).sample
        if self.config.prediction_type == "epsilon":
            return prediction
        abar = self._train_schedule().alphas_cumprod.to(x_t.device)[torch.as_tensor(t, device=x_t.device).long()]
        abar = abar.reshape(-1, *[1] * (x_t.dim() - 1)).to(x_t.dtype)
        return abar.sqrt() * prediction + (1 - abar).sqrt() * x_t

    def guided_noise(self, x_t: torch.Tensor, t, labels: torch.Tensor, guidance_scale: float) -> torch.Tensor:
        """eps_hat: the conditional prediction pushed away from the unconditional one by the guidance scale w."""
        if guidance_scale == 1.0:
            return self.noise(x_t, t, labels)
        null = torch.full_like(labels, self.config.num_classes)
        both = self.noise(torch.cat([x_t, x_t]), t, torch.cat([labels, null]))
        conditional, unconditional = both.chunk(2)  # (N, C, H, W) each
        return unconditional + guidance_scale * (conditional - unconditional)

    @torch.no_grad()
    def generate(
        self,
        num_images: int = 16,
        class_labels=None,
        generator: torch.Generator | None = None,
        num_inference_steps: int | None = None,
        guidance_scale: float | None = None,
        sampler: str | None = None,
        latents: torch.Tensor | None = None,
        output_type: str = "pt",
        return_dict: bool = False,
    ):
        """Sample images (N, C, H, W) in [0, 1]; class_labels: a class id or name, a sequence of N of them, or None
        (random classes, drawn from `generator`); latents: the starting noise x_T (N, C, H, W), else drawn from
        `generator`; output_type "pt", "np" or "pil"; return_dict: an output with `.images` (diffusers')."""
        images = self.sample(
            num_images, class_labels, generator, num_inference_steps, guidance_scale, sampler, latents
        ).images
        return as_output(images, output_type, return_dict)

    @torch.no_grad()
    def sample(
        self,
        num_images: int = 16,
        class_labels=None,
        generator: torch.Generator | None = None,
        num_inference_steps: int | None = None,
        guidance_scale: float | None = None,
        sampler: str | None = None,
        latents: torch.Tensor | None = None,
        trajectory_moments: int = 0,
        step_callback=None,
    ) -> DiffusionSamples:
        """generate(), plus x_t at `trajectory_moments` moments from noise to image (0: none), and a callback
        step_callback(done, total) after each step (progress bars)."""
        steps, scale = self._check_sampling(num_inference_steps, guidance_scale, trajectory_moments)
        self.scheduler(sampler)  # refuses an unknown sampler before any work
        labels = self.labels_for(num_images if latents is None else len(latents), class_labels, generator)
        n, c, s = len(labels), self.config.num_channels, self.config.image_size
        # 1. the starting noise x_T, scaled as the sampler expects
        if latents is None:
            source = generator.device if generator is not None else torch.device("cpu")
            latents = torch.randn((n, c, s, s), generator=generator, device=source)
        elif latents.shape != (n, c, s, s):
            raise ValueError(f"latents must have shape {(n, c, s, s)}, got {tuple(latents.shape)}")
        parts = [
            self._denoise(x_t, y, steps, scale, sampler, generator, trajectory_moments, step_callback)
            for x_t, y in zip(latents.split(CHUNK), labels.split(CHUNK))
        ]  # chunks of CHUNK images: a CPU's caches favour small batches (4.5 ms an image-step at 64, 10.6 at 512)
        images = torch.cat([p[0] for p in parts])
        if not trajectory_moments:
            return DiffusionSamples(images=images)
        return DiffusionSamples(images=images, trajectory=torch.cat([p[1] for p in parts], 1), timesteps=parts[0][2])

    def _denoise(self, latents, labels, steps, scale, sampler, generator, moments, step_callback):
        """One chunk from x_T to x_0: (images, trajectory or None, the trajectory's timesteps)."""
        scheduler = self.scheduler(sampler)
        scheduler.set_timesteps(steps, device=self.device)
        x = latents.to(self.device, self.dtype) * scheduler.init_noise_sigma
        keep = self._moments(steps, moments)
        frames, times = [x], [int(scheduler.timesteps[0])]
        # 2. denoise: guided noise prediction, then the sampler's step from x_t to x_{t-1}
        for i, t in enumerate(scheduler.timesteps):
            eps = self.guided_noise(scheduler.scale_model_input(x, t), t, labels, scale)
            x = scheduler.step(eps, t, x, generator=generator).prev_sample
            if i + 1 in keep:
                frames.append(x)
                times.append(int(scheduler.timesteps[i + 1]) if i + 1 < steps else 0)
            if step_callback is not None:
                step_callback(i + 1, steps)
        # 3. back to [0, 1]
        images = ((x + 1) / 2).clamp(0, 1).float()
        trajectory = torch.stack([((f + 1) / 2).clamp(0, 1).float() for f in frames]) if moments else None
        return images, trajectory, times

    @staticmethod
    def _moments(steps: int, moments: int) -> set[int]:
        """Which finished step counts to keep so that noise plus `moments - 1` frames span the run evenly."""
        if moments < 2:
            return set()
        return {round(steps * k / (moments - 1)) for k in range(1, moments)}

    def _check_sampling(self, steps, scale, moments) -> tuple[int, float]:
        steps = self.config.default_steps if steps is None else steps
        scale = self.config.default_guidance_scale if scale is None else scale
        if isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= MAX_STEPS:
            raise ValueError(f"num_inference_steps must be an integer in 1..{MAX_STEPS}, got {steps!r}")
        if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not 0 <= scale <= MAX_GUIDANCE:
            raise ValueError(f"guidance_scale must be a number in 0..{MAX_GUIDANCE:g} (1 = no guidance), got {scale!r}")
        if not isinstance(moments, int) or moments < 0 or moments == 1 or moments > steps + 1:
            raise ValueError(f"trajectory_moments must be 0 or 2..{steps + 1} for {steps} steps, got {moments!r}")
        return steps, float(scale)

    def labels_for(self, num_images, class_labels, generator=None) -> torch.Tensor:
        """Class ids (N,) on the model's device from ids, names, one of either, or None (drawn from generator)."""
        if isinstance(num_images, bool) or not isinstance(num_images, int) or not 1 <= num_images <= MAX_BATCH:
            raise ValueError(f"num_images must be an integer in 1..{MAX_BATCH}, got {num_images!r}")
        k = self.config.num_classes
        if class_labels is None:
            labels = torch.randint(0, k, (num_images,), generator=generator, device=getattr(generator, "device", None))
            return labels.to(self.device)
        if isinstance(class_labels, (int, str)):
            class_labels = [class_labels] * num_images
        labels = class_labels.tolist() if isinstance(class_labels, torch.Tensor) else list(class_labels)
        if len(labels) != num_images:
            raise ValueError(f"got {len(labels)} class labels for {num_images} images")
        names = {name.lower(): i for i, name in enumerate(self.config.class_names or [])}
        ids = [names.get(y.strip().lower(), -1) if isinstance(y, str) else y for y in labels]
        if any(isinstance(i, bool) or not isinstance(i, int) or not 0 <= i < k for i in ids):
            known = f" or class names ({', '.join(self.config.class_names)})" if self.config.class_names else ""
            raise ValueError(f"class labels must be integers in 0..{k - 1}{known}, got {class_labels!r}")
        return torch.tensor(ids, dtype=torch.long, device=self.device)
