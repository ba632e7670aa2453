"""The variational autoencoder with a beta-weighted KL term.

    encoder: x -> (E(z), log V(z)) in R^{2d};  z = E(z) + sqrt(V(z)) * eps, eps ~ N(0, I)
    decoder: z -> x_hat
    l(x, x_hat) = l_reconstruction + beta/2 sum_i (V(z) - log V(z) - 1 + E(z)^2)_i
Source: Canziani, Foundations of Deep Learning, "Variational auto-encoder" slides (../shared/lecture);
Kingma & Welling 2014; Higgins et al. 2017 (beta-VAE). With beta = 1 the loss is the negative ELBO
in nats per image (BCE reconstruction on [0, 1] pixels).

Two stages (Dai & Wipf 2019), when `second_stage_hidden_size` > 0: the first stage's codes z of the training
images do not fill N(0, I) (holes where the decoder never learned), so a small MLP VAE learns them:
    u ~ N(0, I) -> z = D2(u) -> x = D1(z);   its loss ||z - D2(E2(z) + noise)||^2 / (2 gamma^2) + d log gamma + KL,
with gamma a learned scalar noise level. The first stage, its beta * KL and its ELBO are unchanged by it.

A class prior, when `num_classes` > 0: a Gaussian N(mu_c, Sigma_c) per class of the (first stage's) codes E(z) of
the training images, fitted once after training (`fit_class_prior`). Inpainting searches z under it for the class a class guide
names, so the fill keeps the item's class; training, sampling and the ELBO use N(0, I) as before.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from transformers import PretrainedConfig, PreTrainedModel
from transformers.utils import ModelOutput

from ..images import as_output
from .layers import ConvDecoder, ConvEncoder, base_side


class VAEConfig(PretrainedConfig):
    model_type = "genhub_vae"

    def __init__(
        self,
        image_size: int = 28,  # side of the square images, divisible by 4 (two stride-2 stages)
        num_channels: int = 1,  # image channels
        latent_dim: int = 16,  # d, size of z
        hidden_channels: tuple[int, int] | list[int] = (32, 64),  # conv widths at 14x14 and 7x7
        hidden_size: int = 256,  # width of the linear layer between the conv stack and the latent heads
        beta: float = 1.0,  # weight of the KL term; beta > 1 is a beta-VAE
        reconstruction_loss: str = "bce",  # "bce" (Bernoulli decoder) or "mse" (1/2 ||x - x_hat||^2)
        second_stage_hidden_size: int = 0,  # > 0: a second-stage VAE of this width samples the codes z
        second_stage_layers: int = 3,  # hidden layers of each of its MLPs
        class_names: list[str] | None = None,  # names of the data's classes, for display
        num_classes: int = 0,  # > 0: a class prior, one Gaussian of the codes per class (fitted after training)
        **kwargs,
    ):
        base_side(image_size)  # refuses a side the conv stack cannot halve twice
        if num_channels < 1 or latent_dim < 1 or hidden_size < 1:
            raise ValueError("num_channels, latent_dim and hidden_size must be positive integers")
        if len(hidden_channels) != 2 or min(hidden_channels) < 1:
            raise ValueError(f"hidden_channels must be two positive widths, got {hidden_channels}")
        if not beta >= 0:
            raise ValueError(f"beta must be >= 0, got {beta}")
        if second_stage_hidden_size < 0 or second_stage_layers < 1:
            raise ValueError("second_stage_hidden_size must be >= 0 and second_stage_layers >= 1")
        if num_classes < 0:
            raise ValueError(f"num_classes must be >= 0, got {num_classes}")
        if reconstruction_loss not in ("bce", "mse"):
            raise ValueError(f"reconstruction_loss must be 'bce' or 'mse', got {reconstruction_loss!r}")
        self.image_size = image_size
        self.num_channels = num_channels
        self.latent_dim = latent_dim
        self.hidden_channels = list(hidden_channels)
        self.hidden_size = hidden_size
        self.beta = float(beta)
        self.reconstruction_loss = reconstruction_loss
        self.second_stage_hidden_size = second_stage_hidden_size
        self.second_stage_layers = second_stage_layers
        self.class_names = class_names
        self.num_classes = num_classes
        if class_names:  # the Hub's label vocabulary, from the class names (not transformers' 2-label default)
            kwargs["id2label"] = dict(enumerate(class_names))
            kwargs["label2id"] = {name: i for i, name in enumerate(class_names)}
        super().__init__(**kwargs)


@dataclass
class VAEOutput(ModelOutput):
    loss: torch.Tensor | None = None  # reconstruction + beta * KL, nats per image
    reconstruction_loss: torch.Tensor | None = None  # mean over the batch of the per-image sum
    kl: torch.Tensor | None = None  # KL(N(E, V) || N(0, I)), mean over the batch
    reconstruction: torch.Tensor | None = None  # x_hat, (N, C, H, W) in [0, 1]
    mean: torch.Tensor | None = None  # E(z), (N, d)
    logvar: torch.Tensor | None = None  # log V(z), (N, d)
    latents: torch.Tensor | None = None  # the sampled z, (N, d)


def kl_divergence(mean: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """1/2 sum_i (V - log V - 1 + E^2)_i per row: KL(N(E, V) || N(0, I)), shape (N,)."""
    return 0.5 * (logvar.exp() - logvar - 1 + mean.pow(2)).sum(1)


def _mlp(sizes: list[int]) -> torch.nn.Sequential:
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(torch.nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(torch.nn.GELU())
    return torch.nn.Sequential(*layers)


class SecondStage(torch.nn.Module):
    """The second-stage VAE on the first stage's codes z (N, d): an MLP encoder to (mean, logvar) of u (N, d), an
    MLP decoder back to z, and log gamma, the learned noise level of its Gaussian decoder."""

    def __init__(self, latent_dim: int, hidden_size: int, layers: int):
        super().__init__()
        sizes = [hidden_size] * layers
        self.encoder = _mlp([latent_dim, *sizes, 2 * latent_dim])
        self.decoder = _mlp([latent_dim, *sizes, latent_dim])
        self.log_gamma = torch.nn.Parameter(torch.zeros(()))

    def forward(self, codes: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """Negative ELBO of the codes (N,): Gaussian decoder with std gamma, KL of u to N(0, I)."""
        mean, logvar = self.encoder(codes).chunk(2, dim=1)
        logvar = logvar.clamp(-12.0, 8.0)
        eps = torch.randn(mean.shape, generator=generator, device=mean.device, dtype=mean.dtype)
        decoded = self.decoder(mean + (0.5 * logvar).exp() * eps)
        d = codes.shape[1]
        nll = (codes - decoded).pow(2).sum(1) / (2 * (2 * self.log_gamma).exp()) + d * self.log_gamma
        nll = nll + 0.5 * d * math.log(2 * math.pi)
        return nll + kl_divergence(mean, logvar)


class VAE(PreTrainedModel):
    config_class = VAEConfig
    base_model_prefix = "vae"
    main_input_name = "images"
    capabilities = frozenset({"sample", "reconstruct", "latent_space", "search_prior"})  # genhub.models.CAPABILITIES
    sampling_options = frozenset()  # generate() draws z ~ N(0, I): no class, no truncation
    # inpainting's latent search (genhub.operations.inpainting): the prior's weight (under a class prior, firmer, so
    # the fill reads as the guide's class), the class guide's weight (0: the class prior holds the class), and
    # whether the class is searched too
    search_defaults = {"prior_weight": 0.05, "class_prior_weight": 0.5, "guide_weight": 0.0, "search_class": False}

    def __init__(self, config: VAEConfig):
        super().__init__(config)
        channels = tuple(config.hidden_channels)
        self.encoder = ConvEncoder(config.num_channels, channels, config.hidden_size, config.image_size)
        self.to_moments = torch.nn.Linear(config.hidden_size, 2 * config.latent_dim)  # -> (E(z), log V(z))
        self.decoder = ConvDecoder(config.latent_dim, channels, config.num_channels, config.image_size)
        if config.second_stage_hidden_size:
            self.second_stage = SecondStage(
                config.latent_dim, config.second_stage_hidden_size, config.second_stage_layers
            )
        if config.num_classes:  # p(z | c) = N(class_means[c], L L^T), L = class_scale_tril[c]
            eye = torch.eye(config.latent_dim).expand(config.num_classes, -1, -1)
            self.register_buffer("class_means", torch.zeros(config.num_classes, config.latent_dim))
            self.register_buffer("class_scale_tril", eye.clone())
        self.post_init()

    @torch.no_grad()
    def fit_class_prior(self, codes: torch.Tensor, labels: torch.Tensor, jitter: float = 1e-3) -> None:
        """Fit p(z | c): the mean and covariance (+ jitter * I) of the codes (N, d) of each class's items."""
        if not self.config.num_classes:
            raise ValueError("this VAE has no class prior (num_classes=0)")
        eye = torch.eye(self.config.latent_dim, device=codes.device)
        for c in range(self.config.num_classes):
            own = codes[labels == c].float()
            if len(own) < 2:
                raise ValueError(f"class {c} has {len(own)} codes; fitting its Gaussian needs at least 2")
            self.class_means[c] = own.mean(0)
            self.class_scale_tril[c] = torch.linalg.cholesky(torch.cov(own.T) + jitter * eye)

    def class_prior_energy(self, latents: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """-log p(z | c) up to a constant per class: 1/2 (z - mu_c)^T Sigma_c^-1 (z - mu_c), shape (N,), in float32
        (torch has no triangular solve in bfloat16)."""
        if not self.config.num_classes:
            raise ValueError("this VAE has no class prior (num_classes=0)")
        centred = (latents.float() - self.class_means[labels].float()).unsqueeze(-1)  # (N, d, 1), float32 always
        white = torch.linalg.solve_triangular(self.class_scale_tril[labels].float(), centred, upper=False)
        return 0.5 * white.pow(2).sum((1, 2))

    def sample_class_prior(self, labels: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """Codes z ~ p(z | c) (N, d) for class ids (N,)."""
        noise = torch.randn(len(labels), self.config.latent_dim, 1, generator=generator).to(self.class_means)
        return self.class_means[labels] + (self.class_scale_tril[labels] @ noise).squeeze(-1)

    def sample_latents(self, noise: torch.Tensor, stages: int | None = None) -> torch.Tensor:
        """Codes z (N, d) for noise u ~ N(0, I): through the second stage when the model has one (and stages is
        not 1), else z = u."""
        if stages not in (None, 1, 2):
            raise ValueError(f"stages must be 1 or 2, got {stages!r}")
        if stages == 2 and not self.config.second_stage_hidden_size:
            raise ValueError("this VAE has one stage; stages=2 needs a model with a second stage")
        if self.config.second_stage_hidden_size and stages != 1:
            return self.second_stage.decoder(noise)
        return noise

    @property
    def has_class_prior(self) -> bool:
        return bool(self.config.num_classes)

    def num_sampling_parameters(self) -> int:
        """Parameters of what samples: the decoder and the second stage (not the encoder)."""
        parts = [self.decoder, getattr(self, "second_stage", None)]
        return sum(p.numel() for part in parts if part is not None for p in part.parameters())

    @torch.no_grad()
    def search_bank(self, count: int, generator: torch.Generator, classed: bool, class_logit: float):
        """Prior samples that start inpainting's search: (codes (count, d), classes or None, images). classed (with a
        class prior): codes of each class's Gaussian in turn; else noise from N(0, I) (u for two stages)."""
        if classed and self.has_class_prior:
            classes = torch.arange(self.config.num_classes).repeat(count // self.config.num_classes + 1)[:count]
            latents = self.sample_class_prior(classes.to(self.device), generator).float().cpu()
            logits = class_logit * F.one_hot(classes, self.config.num_classes).float()
            return latents, classes, self.search_decode(latents.to(self.device, self.dtype), logits)
        latents = torch.randn(count, self.config.latent_dim, generator=generator)
        return latents, None, self.search_decode(latents.to(self.device, self.dtype), None)

    def search_decode(self, latents: torch.Tensor, class_logits: torch.Tensor | None) -> torch.Tensor:
        """Images of the search's variables: codes z when the search has a class, else its noise (u or z)."""
        return self.decode(latents if class_logits is not None else self.sample_latents(latents))

    def search_prior(self, images, latents: torch.Tensor, class_logits: torch.Tensor | None) -> torch.Tensor:
        """Per-candidate prior term: -log p(z | c) under the class prior when the search has a class, else
        1/2 ||z||^2 (||u||^2 with two stages)."""
        if class_logits is not None:
            return self.class_prior_energy(latents, class_logits.argmax(1))
        return 0.5 * latents.pow(2).sum(1)

    def search_start(self, images: torch.Tensor, mask: torch.Tensor, in_classes: bool) -> torch.Tensor:
        """The encoder's code of the known pixels (the hole filled with their mean), one start per image (N, d):
        z under a class prior, else the search's noise (u for two stages). The hidden pixels are never read."""
        known = images * (1 - mask)
        known_mean = known.sum((2, 3), keepdim=True) / (1 - mask).sum((2, 3), keepdim=True).clamp_min(1)
        code = self.encode((known + mask * known_mean).to(self.dtype))[0]
        if self.config.second_stage_hidden_size and not in_classes:
            code = self.second_stage.encoder(code).chunk(2, dim=1)[0]  # its u
        return code

    def reconstruct(self, images: torch.Tensor) -> torch.Tensor:
        """Dec(E(z | x)): the decoded mean code, (N, C, 28, 28) in [0, 1]."""
        return self.decode(self.encode(images)[0])

    def encode(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """images (N, C, 28, 28) in [0, 1] -> (mean (N, d), logvar (N, d))."""
        moments = self.to_moments(F.leaky_relu(self.encoder(images), 0.2))  # (N, 2d)
        mean, logvar = moments.chunk(2, dim=1)
        return mean, logvar.clamp(-12.0, 8.0)

    def decode_logits(self, latents: torch.Tensor) -> torch.Tensor:
        return self.decoder(latents)

    def decode(self, latents: torch.Tensor) -> torch.Tensor:
        """z (N, d) -> x_hat (N, C, 28, 28) in [0, 1]."""
        logits = self.decode_logits(latents)
        return torch.sigmoid(logits) if self.config.reconstruction_loss == "bce" else logits.clamp(0, 1)

    @torch.no_grad()
    def generate(
        self,
        num_images: int = 16,
        latents: torch.Tensor | None = None,
        generator: torch.Generator | list[torch.Generator] | None = None,
        output_type: str = "pt",
        return_dict: bool = False,
        stages: int | None = None,
    ):
        """Decode z ~ N(0, I) (or the given latents) into images (N, C, 28, 28) in [0, 1]; a two-stage VAE draws
        z through its second stage (stages=1 skips it). generator: one, or one per image, on any device;
        output_type "pt" (default), "np" or "pil"; return_dict: an output with `.images`."""
        if latents is None:
            if isinstance(num_images, numbers.Integral) and not isinstance(num_images, bool):
                num_images = int(num_images)  # numpy integers too
            if isinstance(num_images, bool) or not isinstance(num_images, int) or not 1 <= num_images <= 1024:
                raise ValueError(f"num_images must be an integer in 1..1024, got {num_images!r}")
            shape = (num_images, self.config.latent_dim)
            from diffusers.utils.torch_utils import randn_tensor  # noqa: PLC0415 (diffusers loads on first use)

            noise = randn_tensor(shape, generator=generator, device=self.device, dtype=self.dtype)
            latents = self.sample_latents(noise, stages)
        elif latents.ndim != 2 or latents.shape[1] != self.config.latent_dim:
            raise ValueError(f"latents must have shape (N, {self.config.latent_dim}), got {tuple(latents.shape)}")
        images = self.decode(latents.to(self.device, self.dtype)).float()
        return as_output(images, output_type, return_dict)

    def forward(self, images: torch.Tensor, generator: torch.Generator | None = None, sample: bool = True):
        """Reparameterised pass: loss = reconstruction + beta * KL (nats per image)."""
        mean, logvar = self.encode(images)
        if sample:
            eps = torch.randn(mean.shape, generator=generator, device=mean.device, dtype=mean.dtype)
            latents = mean + (0.5 * logvar).exp() * eps  # z = E + sqrt(V) * eps
        else:
            latents = mean
        logits = self.decode_logits(latents)
        if self.config.reconstruction_loss == "bce":
            per_pixel = F.binary_cross_entropy_with_logits(logits, images, reduction="none")
            reconstruction = torch.sigmoid(logits)
        else:
            reconstruction = logits
            per_pixel = 0.5 * (images - logits) ** 2
        rec_loss = per_pixel.flatten(1).sum(1).mean()
        kl = kl_divergence(mean, logvar).mean()
        return VAEOutput(
            loss=rec_loss + self.config.beta * kl,
            reconstruction_loss=rec_loss,
            kl=kl,
            reconstruction=reconstruction.clamp(0, 1),
            mean=mean,
            logvar=logvar,
            latents=latents,
        )
