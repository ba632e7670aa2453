"""Class-conditional GAN with the lecture's energy-based cost (EBGAN), or the standard
non-saturating objective as a baseline, over one BigGAN-style conditional generator.

    energy (lecture; Zhao, Mathieu & LeCun 2017):
        C(x, y)   = ||Dec(Enc(x, y)) - x||^2                      per image, pixels in [0, 1]
        L_C(x, z) = C(x, y) + [m - C(G(z, y), y)]^+                the cost network's loss
        L_G(z)    = C(G(z, y), y)  (+ w_PT * f_PT(Enc(G(z, y))))   the generator's loss, optional pulling-away term
        f_PT(S)   = 1/(N(N-1)) sum_{i != j} (s_i^T s_j / (|s_i| |s_j|))^2
    non-saturating (Goodfellow 2014; DCGAN, Radford 2016), projection discriminator (Miyato 2018):
        D(x, y) = w^T phi(x) + embed(y)^T phi(x)
        L_D = softplus(-D(x, y)) + softplus(D(G(z, y), y)),   L_G = softplus(-D(G(z, y), y))
Generator: z and a shared class embedding drive conditional batch norm at every resolution (BigGAN, Brock 2018).
Source: Canziani, Foundations of Deep Learning, "Generative adversarial nets" slides (../shared/lecture).
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from transformers import PretrainedConfig, PreTrainedModel
from transformers.utils import ModelOutput

from ..images import as_output
from .layers import ConditionalGenerator, ConvDecoder, ConvEncoder, base_side

ARCHITECTURES = ("conv", "mlp")  # mlp: the playground's, fast enough to learn live on a CPU
OBJECTIVES = ("energy", "nonsaturating", "minimax")  # minimax: the saturating log(1 - D(G(z))) of Goodfellow 2014
MAX_BATCH = 1024  # largest number of images one generate() call makes


class ConditionalGANConfig(PretrainedConfig):
    model_type = "genhub_ebgan"  # kept from the first release, so every shipped checkpoint loads

    def __init__(
        self,
        image_size: int = 28,  # side of the square images, divisible by 4 (two stride-2 stages)
        num_channels: int = 1,  # image channels
        latent_dim: int = 64,  # size of z
        num_classes: int = 10,  # number of classes the generator is conditioned on
        class_embed_dim: int = 32,  # size of the shared class embedding (BigGAN)
        generator_channels: tuple[int, int] | list[int] = (128, 64),  # generator widths at 7x7 and 14x14 (mlp: hidden)
        cost_channels: tuple[int, int] | list[int] = (32, 64),  # cost network widths at 14x14 and 7x7 (mlp: hidden)
        cost_code_dim: int = 64,  # size of Enc(x): the energy autoencoder's code, or phi(x) of the baseline
        objective: str = "energy",  # "energy" (EBGAN, the lecture's), "nonsaturating" (DCGAN) or "minimax" (saturating)
        margin: float = 20.0,  # m of the hinge [m - C(G(z))]^+, in the energy's units (squared error per image)
        pull_away_weight: float = 0.0,  # weight of the pulling-away term f_PT in L_G (0 = off)
        class_names: list[str] | None = None,  # class names, index = class id
        architecture: str = "conv",  # "conv" (BigGAN-style blocks) or "mlp" (fully connected: ~10x faster a step)
        **kwargs,
    ):
        if architecture not in ARCHITECTURES:
            raise ValueError(f"architecture must be one of {ARCHITECTURES}, got {architecture!r}")
        base_side(image_size)  # refuses a side the conv stacks cannot halve twice
        if min(num_channels, latent_dim, class_embed_dim, cost_code_dim) < 1 or num_classes < 1:
            raise ValueError(
                "num_channels, latent_dim, num_classes, class_embed_dim and cost_code_dim must be positive"
            )
        for name, widths in (("generator_channels", generator_channels), ("cost_channels", cost_channels)):
            if len(widths) != 2 or min(widths) < 1:
                raise ValueError(f"{name} must be two positive widths, got {widths}")
        if objective not in OBJECTIVES:
            raise ValueError(f"objective must be one of {OBJECTIVES}, got {objective!r}")
        if not margin > 0 or not pull_away_weight >= 0:
            raise ValueError(f"margin must be > 0 and pull_away_weight >= 0, got {margin}, {pull_away_weight}")
        if class_names is not None and len(class_names) != num_classes:
            raise ValueError(f"class_names has {len(class_names)} names for {num_classes} classes")
        self.image_size = image_size
        self.num_channels = num_channels
        self.latent_dim = latent_dim
        self.num_classes = num_classes
        self.class_embed_dim = class_embed_dim
        self.generator_channels = list(generator_channels)
        self.cost_channels = list(cost_channels)
        self.cost_code_dim = cost_code_dim
        self.objective = objective
        self.margin = float(margin)
        self.pull_away_weight = float(pull_away_weight)
        self.class_names = class_names
        self.architecture = architecture
        if class_names:  # the Hub's label vocabulary, from the class names (not transformers' 2-label default)
            kwargs["id2label"] = dict(enumerate(class_names))
            kwargs["label2id"] = {name: i for i, name in enumerate(class_names)}
        super().__init__(**kwargs)


@dataclass
class GANLossOutput(ModelOutput):
    loss: torch.Tensor | None = None  # what this network's optimiser minimises
    energy_real: torch.Tensor | None = None  # mean C(x) (energy) or mean -D(x) (baseline)
    energy_fake: torch.Tensor | None = None  # mean C(G(z)) or mean -D(G(z))
    pull_away: torch.Tensor | None = None  # f_PT of the generated batch, when used


def truncated_normal(shape, truncation: float = 1.0, generator=None, device=None, dtype=None) -> torch.Tensor:
    """truncation * N(0, 1) truncated to [-2, 2] (out-of-range values resampled): |z| <= 2 * truncation.
    Drawn on the generator's device (a list of generators: one per row), returned on `device` in `dtype`."""
    if not (isinstance(truncation, (int, float)) and 0 < truncation <= 1):
        raise ValueError(f"truncation must be a number in (0, 1], got {truncation!r}")
    if isinstance(generator, (list, tuple)):
        if len(generator) != shape[0]:
            raise ValueError(f"got {len(generator)} generators for {shape[0]} rows")
        rows = [truncated_normal((1, *shape[1:]), truncation, g, device, dtype) for g in generator]
        return torch.cat(rows)
    source = generator.device if generator is not None else torch.device("cpu")
    z = torch.randn(shape, generator=generator, device=source)
    while (outside := z.abs() > 2).any():
        z[outside] = torch.randn(int(outside.sum()), generator=generator, device=source)
    return (truncation * z).to(device=device, dtype=dtype)


def class_ids(labels, class_names: list[str] | None, num_classes: int) -> torch.Tensor:
    """Class ids from ints or names (case-insensitive); a clear ValueError for anything else."""
    lookup = {name.lower(): i for i, name in enumerate(class_names or [])}
    ids = []
    for label in labels.tolist() if isinstance(labels, torch.Tensor) else list(labels):
        if isinstance(label, str):
            if label.strip().lower() not in lookup:
                raise ValueError(f"unknown class name {label!r}; known: {', '.join(class_names or [])}")
            ids.append(lookup[label.strip().lower()])
        elif isinstance(label, int) and not isinstance(label, bool) and 0 <= label < num_classes:
            ids.append(label)
        else:
            raise ValueError(f"class labels must be ids in 0..{num_classes - 1} or class names, got {label!r}")
    return torch.tensor(ids, dtype=torch.long)


def soft_lookup(embedding: nn.Embedding, labels: torch.Tensor) -> torch.Tensor:
    """Embedding rows for ids (N,), or their weighted mixture for class weights (N, num_classes)."""
    return embedding(labels) if labels.ndim == 1 else labels @ embedding.weight


class Generator(ConditionalGenerator):
    """G(z, y): (N, latent_dim), (N,) -> (N, C, 28, 28) in [-1, 1]; z and the shared class embedding
    condition every block."""

    def __init__(self, config: ConditionalGANConfig):
        super().__init__(
            config.latent_dim + config.class_embed_dim,
            tuple(config.generator_channels),
            config.num_channels,
            config.image_size,
        )
        self.class_embedding = nn.Embedding(config.num_classes, config.class_embed_dim)

    def forward(self, latents: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """labels: class ids (N,), or class weights (N, num_classes) that mix the class embeddings."""
        return super().forward(torch.cat([latents, soft_lookup(self.class_embedding, labels)], dim=1))


def mlp(widths: list[int]) -> nn.Sequential:
    """Linear layers through `widths` with leaky ReLUs between them (none after the last)."""
    layers = []
    for i, (a, b) in enumerate(zip(widths, widths[1:])):
        layers += [nn.Linear(a, b)] + ([nn.LeakyReLU(0.2)] if i < len(widths) - 2 else [])
    return nn.Sequential(*layers)


class MLPGenerator(nn.Module):
    """G(z, y) fully connected: [z, embed(y)] -> hidden widths -> (N, C, 28, 28) in [-1, 1]."""

    def __init__(self, config: ConditionalGANConfig):
        super().__init__()
        self.class_embedding = nn.Embedding(config.num_classes, config.class_embed_dim)
        self.shape = (config.num_channels, config.image_size, config.image_size)
        pixels = config.num_channels * config.image_size**2
        self.net = mlp([config.latent_dim + config.class_embed_dim, *config.generator_channels, pixels])

    def forward(self, latents: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        h = torch.cat([latents, soft_lookup(self.class_embedding, labels)], dim=1)
        return torch.tanh(self.net(h)).view(-1, *self.shape)  # (N, C * H * W) -> (N, C, H, W)


class CostNetwork(nn.Module):
    """C(x, y): the class enters as constant one-hot planes beside the image."""

    def __init__(self, config: ConditionalGANConfig):
        super().__init__()
        self.num_classes = config.num_classes
        channels = tuple(config.cost_channels)
        self.flat = config.architecture == "mlp"
        pixels = config.num_channels * config.image_size**2
        if self.flat:  # the class enters as a one-hot vector beside the flattened image
            self.encoder = mlp([pixels + config.num_classes, *channels, config.cost_code_dim])
        else:
            self.encoder = ConvEncoder(
                config.num_channels + config.num_classes, channels, config.cost_code_dim, config.image_size
            )
        if config.objective == "energy" and self.flat:
            self.decoder = mlp([config.cost_code_dim, *channels[::-1], pixels])
        elif config.objective == "energy":
            self.decoder = ConvDecoder(config.cost_code_dim, channels, config.num_channels, config.image_size)
        else:
            self.logit = nn.Linear(config.cost_code_dim, 1)  # w
            self.projection = nn.Embedding(config.num_classes, config.cost_code_dim)  # embed(y)

    def encode(self, images: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        weights = F.one_hot(labels, self.num_classes).float() if labels.ndim == 1 else labels  # (N, num_classes)
        if self.flat:
            return self.encoder(torch.cat([images.flatten(1) * 2 - 1, weights.to(images.dtype)], dim=1))
        planes = weights[:, :, None, None].expand(-1, -1, *images.shape[2:])
        return self.encoder(torch.cat([images * 2 - 1, planes], dim=1))  # (N, cost_code_dim)

    def forward(self, images: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Energy per image (N,) (low = real) and the code Enc(x) (N, cost_code_dim)."""
        code = self.encode(images, labels)
        if hasattr(self, "decoder"):
            x_hat = (torch.tanh(self.decoder(code).view_as(images)) + 1) / 2  # [0, 1]
            return (x_hat - images).pow(2).flatten(1).sum(1), code
        phi = F.leaky_relu(code, 0.2)
        return -(self.logit(phi)[:, 0] + (soft_lookup(self.projection, labels) * phi).sum(1)), code  # energy = -D(x, y)


def pulling_away(codes: torch.Tensor) -> torch.Tensor:
    """f_PT: mean squared cosine similarity between distinct codes of a batch (Zhao 2017, eq. 7)."""
    s = F.normalize(codes.flatten(1), dim=1)
    n = s.shape[0]
    cosine = s @ s.t()  # (N, N)
    return (cosine.pow(2).sum() - n) / (n * (n - 1))


class ConditionalGAN(PreTrainedModel):
    """A class-conditional GAN: generator G(z, y) and cost network C(x, y); the objective (the lecture's energy
    with a hinge margin, or the non-saturating baseline) is set by the config."""

    config_class = ConditionalGANConfig
    base_model_prefix = "gan"
    main_input_name = "latents"
    capabilities = frozenset({"sample", "steer", "search_prior"})  # genhub.models.CAPABILITIES
    sampling_options = frozenset({"class_labels", "truncation"})  # what generate() takes beyond num_images
    # inpainting's latent search (genhub.operations.inpainting): the energy's weight, the class guide's weight (its
    # evidence keeps the class a fill can lose) and whether the class logits are searched too (they are)
    search_defaults = {"prior_weight": 0.003, "class_prior_weight": 0.003, "guide_weight": 30.0, "search_class": True}
    has_class_prior = False  # its classes are its inputs, not a prior over codes

    def __init__(self, config: ConditionalGANConfig):
        super().__init__(config)
        self.generator = MLPGenerator(config) if config.architecture == "mlp" else Generator(config)
        self.cost = CostNetwork(config)
        self.post_init()

    def sample_inputs(
        self,
        num_images: int,
        class_labels=None,
        latents=None,
        truncation: float = 1.0,
        generator: torch.Generator | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Checked (latents (N, latent_dim), labels (N,)); missing ones drawn from `generator`."""
        c = self.config
        if latents is not None:
            if not isinstance(latents, torch.Tensor) or latents.ndim != 2 or latents.shape[1] != c.latent_dim:
                raise ValueError(f"latents must be a tensor of shape (N, {c.latent_dim})")
            if not torch.isfinite(latents).all():
                raise ValueError("latents contain NaN or infinite values")
            num_images = latents.shape[0]
        if isinstance(num_images, numbers.Integral) and not isinstance(num_images, bool):
            num_images = int(num_images)  # numpy integers too
        if isinstance(num_images, bool) or not isinstance(num_images, int) or not 1 <= num_images <= MAX_BATCH:
            raise ValueError(f"num_images must be an integer in 1..{MAX_BATCH}, got {num_images!r}")
        if latents is None:
            latents = truncated_normal((num_images, c.latent_dim), truncation, generator)
        if class_labels is None:
            first = generator[0] if isinstance(generator, (list, tuple)) else generator
            source = first.device if first is not None else "cpu"
            labels = torch.randint(c.num_classes, (num_images,), generator=first, device=source)
        else:
            labels = class_ids(
                [class_labels] if isinstance(class_labels, (int, str)) else class_labels, c.class_names, c.num_classes
            )
            if len(labels) == 1:
                labels = labels.expand(num_images)
            elif len(labels) != num_images:
                raise ValueError(f"got {len(labels)} class labels for {num_images} images (give 1 or {num_images})")
        return latents.to(self.device, self.dtype), labels.to(self.device)

    @torch.no_grad()
    def generate(
        self,
        num_images: int = 16,
        class_labels=None,
        latents=None,
        truncation: float = 1.0,
        generator: torch.Generator | list[torch.Generator] | None = None,
        output_type: str = "pt",
        return_dict: bool = False,
    ):
        """Images (N, C, 28, 28) in [0, 1]. class_labels: None (random), one or N ids or class names; generator: one,
        or one per image, on any device. output_type "pt" (default: the tensor), "np" or "pil"; return_dict: an
        output with `.images` (diffusers' convention)."""
        latents, labels = self.sample_inputs(num_images, class_labels, latents, truncation, generator)
        images = (self.generator(latents, labels).float() + 1) / 2  # eval mode (as load_model returns it)
        return as_output(images, output_type, return_dict)

    def num_sampling_parameters(self) -> int:
        """Parameters of the generator (not the cost network)."""
        return sum(p.numel() for p in self.generator.parameters())

    @torch.no_grad()
    def search_bank(self, count: int, generator: torch.Generator, classed: bool, class_logit: float):
        """Prior samples that start inpainting's search: (z (count, d) cut to [-2, 2], classes in turn, images of
        class logits class_logit * one-hot); every bank is classed."""
        c = self.config.num_classes
        latents = torch.randn(count, self.config.latent_dim, generator=generator).clamp(-2, 2)
        classes = torch.arange(c).repeat(count // c + 1)[:count]
        parts = [
            self.search_decode(z.to(self.device, self.dtype), class_logit * F.one_hot(k, c).float())
            for z, k in zip(latents.split(500), classes.split(500))
        ]
        return latents, classes, torch.cat(parts)

    def search_decode(self, latents: torch.Tensor, class_logits: torch.Tensor) -> torch.Tensor:
        """G(z, softmax(class logits)) in [0, 1], with gradients to both."""
        return self(latents, class_logits.softmax(1).to(self.device, self.dtype))

    def search_prior(self, images: torch.Tensor, latents, class_logits: torch.Tensor) -> torch.Tensor:
        """Per-candidate prior term: the energy C(x, c) (softplus(-D) for the baseline), low = realistic."""
        energy = self.energy(images, class_logits.softmax(1).to(self.dtype)).float()
        return energy if self.config.objective == "energy" else F.softplus(energy)

    def search_start(self, images, mask, in_classes: bool) -> None:
        """No encoder: every start comes from the bank."""
        return None

    def energy(self, images: torch.Tensor, class_labels: torch.Tensor) -> torch.Tensor:
        """C(x, y) per image (N,): reconstruction energy (EBGAN) or -D(x, y) (baseline); low = real."""
        return self.cost(images, class_labels)[0]

    def cost_loss(
        self, real: torch.Tensor, fake: torch.Tensor, labels: torch.Tensor, fake_labels: torch.Tensor
    ) -> GANLossOutput:
        """(1) the cost network's loss, on real images and detached generated ones (both in [0, 1])."""
        e_real, e_fake = self.energy(real, labels), self.energy(fake.detach(), fake_labels)
        if self.config.objective == "energy":
            loss = e_real.mean() + F.relu(self.config.margin - e_fake).mean()  # C(x) + [m - C(G(z))]^+
        else:
            loss = F.softplus(e_real).mean() + F.softplus(-e_fake).mean()  # softplus(-D(x)) + softplus(D(G(z)))
        return GANLossOutput(loss=loss, energy_real=e_real.mean().detach(), energy_fake=e_fake.mean().detach())

    def generator_loss(self, fake: torch.Tensor, fake_labels: torch.Tensor) -> GANLossOutput:
        """(2) the generator's loss on generated images in [0, 1]: C(G(z)) (+ PT) or softplus(-D(G(z)))."""
        e_fake, code = self.cost(fake, fake_labels)
        pull = None
        if self.config.objective == "energy":
            loss = e_fake.mean()
            if self.config.pull_away_weight > 0:
                pull = pulling_away(code)
                loss = loss + self.config.pull_away_weight * pull
        elif self.config.objective == "minimax":
            loss = -F.softplus(-e_fake).mean()  # log(1 - D(G(z))) = -softplus(D(G(z))): saturates when D wins
        else:
            loss = F.softplus(e_fake).mean()
        return GANLossOutput(loss=loss, energy_fake=e_fake.mean().detach(), pull_away=pull)

    def forward(self, latents: torch.Tensor, class_labels: torch.Tensor) -> torch.Tensor:
        """G(z, y) in [0, 1], with gradients (for training)."""
        return (self.generator(latents, class_labels) + 1) / 2


EBGANConfig, EBGAN = ConditionalGANConfig, ConditionalGAN  # the names of the first release
