"""A GAN on 2-D points (the playground's 2-D mode, in the spirit of GAN Lab, Kahng et al. 2018): small enough to
train at hundreds of updates a second on a CPU, so the lecture's pitfalls are seen as they happen.

    G: z ~ N(0, I_2) -> R^2          D: R^2 -> R (a logit: D(x) = sigmoid(logit) is "real")
    non-saturating   L_D = softplus(-D(x)) + softplus(D(G(z)))     L_G = softplus(-D(G(z)))
    minimax          L_D as above                                   L_G = -softplus(D(G(z))) = log(1 - D(G(z)))
Source: Canziani, Foundations of Deep Learning, "Generative adversarial nets" slides (../shared/lecture).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from transformers import PretrainedConfig, PreTrainedModel
from transformers.utils import ModelOutput

TOY_OBJECTIVES = ("nonsaturating", "minimax")


class ToyGANConfig(PretrainedConfig):
    model_type = "genhub_toy_gan"

    def __init__(
        self,
        latent_dim: int = 2,  # size of z
        hidden_size: int = 128,  # width of the two hidden layers of G and of D
        objective: str = "nonsaturating",  # "nonsaturating" or "minimax" (the saturating log(1 - D(G(z))))
        **kwargs,
    ):
        if latent_dim < 1 or hidden_size < 1:
            raise ValueError(f"latent_dim and hidden_size must be positive, got {latent_dim}, {hidden_size}")
        if objective not in TOY_OBJECTIVES:
            raise ValueError(f"objective must be one of {TOY_OBJECTIVES}, got {objective!r}")
        self.latent_dim = latent_dim
        self.hidden_size = hidden_size
        self.objective = objective
        super().__init__(**kwargs)


@dataclass
class ToyGANLoss(ModelOutput):
    loss: torch.Tensor | None = None  # what this network's optimiser minimises
    real_logit: torch.Tensor | None = None  # mean D logit on the real points
    fake_logit: torch.Tensor | None = None  # mean D logit on the generated points


def _mlp(inputs: int, hidden: int, outputs: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(inputs, hidden),
        nn.LeakyReLU(0.2),
        nn.Linear(hidden, hidden),
        nn.LeakyReLU(0.2),
        nn.Linear(hidden, outputs),
    )


class ToyGAN(PreTrainedModel):
    """Generator G and discriminator D over points in the plane."""

    config_class = ToyGANConfig
    main_input_name = "latents"
    capabilities = frozenset({"toy"})  # genhub.models.CAPABILITIES

    def __init__(self, config: ToyGANConfig):
        super().__init__(config)
        self.generator = _mlp(config.latent_dim, config.hidden_size, 2)
        self.discriminator = _mlp(2, config.hidden_size, 1)
        self.post_init()

    def _init_weights(self, module):  # PyTorch's defaults (the playground seeds them itself)
        pass

    def forward(self, latents: torch.Tensor) -> torch.Tensor:
        """G(z): (N, latent_dim) -> points (N, 2)."""
        return self.generator(latents)

    def logit(self, points: torch.Tensor) -> torch.Tensor:
        """D's logit (N,) for points (N, 2): high = real."""
        return self.discriminator(points)[:, 0]

    def discriminator_loss(self, real: torch.Tensor, fake: torch.Tensor) -> ToyGANLoss:
        real_logit, fake_logit = self.logit(real), self.logit(fake.detach())
        loss = F.softplus(-real_logit).mean() + F.softplus(fake_logit).mean()
        return ToyGANLoss(loss, real_logit.detach().mean(), fake_logit.detach().mean())

    def generator_loss(self, fake: torch.Tensor) -> ToyGANLoss:
        fake_logit = self.logit(fake)
        if self.config.objective == "minimax":
            loss = -F.softplus(fake_logit).mean()  # log(1 - D(G(z))): saturates once D rejects the fakes
        else:
            loss = F.softplus(-fake_logit).mean()  # -log D(G(z))
        return ToyGANLoss(loss, None, fake_logit.detach().mean())

    @torch.no_grad()
    def generate(self, num_points: int = 512, generator: torch.Generator | None = None) -> torch.Tensor:
        """num_points points (N, 2) from z ~ N(0, I)."""
        if isinstance(num_points, bool) or not isinstance(num_points, int) or not 1 <= num_points <= 100_000:
            raise ValueError(f"num_points must be an integer in 1..100000, got {num_points!r}")
        z = torch.randn(num_points, self.config.latent_dim, generator=generator)
        return self(z.to(self.device, self.dtype))
