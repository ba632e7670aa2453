"""The autoencoder family of the lecture: plain, denoising and contractive, tied or untied.

    h     = f(W_h x + b_h)              encoder, W_h in R^{d x n}
    x_hat = g(W_x h + b_x)              decoder, W_x in R^{n x d}; tied: W_x = W_h^T (one stored tensor)
    L     = 1/m sum_j l(x_j, x_hat_j)   l = BCE for x in [0, 1], 1/2 ||x - x_hat||^2 for real x
    denoising:   x_tilde ~ p(x_tilde | x), l(x, Dec(Enc(x_tilde)))            (Vincent et al. 2008)
    contractive: l + lambda ||d h / d x||_F^2                                  (Rifai et al. 2011)
Source: Canziani, Foundations of Deep Learning, "Autoencoders" slides (../shared/lecture).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from transformers import PretrainedConfig, PreTrainedModel
from transformers.utils import ModelOutput

NOISE_TYPES = ("none", "gaussian", "masking", "salt_and_pepper")
RECONSTRUCTION_LOSSES = ("bce", "mse")
ACTIVATIONS = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu, "identity": lambda a: a}


def activation_derivative(name: str, pre: torch.Tensor) -> torch.Tensor:
    """f'(a) for the encoder activations, elementwise."""
    if name == "sigmoid":
        h = torch.sigmoid(pre)
        return h * (1 - h)
    if name == "tanh":
        return 1 - torch.tanh(pre) ** 2
    if name == "relu":
        return (pre > 0).to(pre.dtype)
    return torch.ones_like(pre)


class AutoencoderConfig(PretrainedConfig):
    model_type = "genhub_autoencoder"

    def __init__(
        self,
        image_size: int = 28,  # side of the square input images
        num_channels: int = 1,  # image channels; n = num_channels * image_size**2
        hidden_size: int = 64,  # d: below n is under-complete, above n over-complete
        tied_weights: bool = True,  # W_x = W_h^T, one stored tensor
        encoder_activation: str = "sigmoid",  # f
        decoder_activation: str = "sigmoid",  # g; "identity" for real-valued input
        reconstruction_loss: str = "bce",  # "bce" for [0, 1] input, "mse" (1/2 ||x - x_hat||^2) for real input
        noise_type: str = "none",  # p(x_tilde | x) of the denoising autoencoder
        noise_level: float = 0.0,  # gaussian std, or fraction of pixels masked / salted
        contractive_weight: float = 0.0,  # lambda of the contractive penalty lambda ||dh/dx||_F^2
        class_names: list[str] | None = None,  # names of the data's classes, for display
        **kwargs,
    ):
        if image_size < 1 or num_channels < 1 or hidden_size < 1:
            raise ValueError("image_size, num_channels and hidden_size must be positive integers")
        if encoder_activation not in ACTIVATIONS or decoder_activation not in ACTIVATIONS:
            raise ValueError(f"activations must be one of {sorted(ACTIVATIONS)}")
        if reconstruction_loss not in RECONSTRUCTION_LOSSES:
            raise ValueError(f"reconstruction_loss must be one of {RECONSTRUCTION_LOSSES}, got {reconstruction_loss!r}")
        if reconstruction_loss == "bce" and decoder_activation != "sigmoid":
            raise ValueError("the BCE loss needs a sigmoid decoder (x_hat in (0, 1))")
        if noise_type not in NOISE_TYPES:
            raise ValueError(f"noise_type must be one of {NOISE_TYPES}, got {noise_type!r}")
        if not 0.0 <= noise_level <= 1.0 or (noise_type == "none") != (noise_level == 0.0):
            raise ValueError("noise_level must be in [0, 1], and > 0 exactly when noise_type is not 'none'")
        if contractive_weight < 0:
            raise ValueError(f"contractive_weight must be >= 0, got {contractive_weight}")
        self.image_size = image_size
        self.num_channels = num_channels
        self.hidden_size = hidden_size
        self.tied_weights = tied_weights
        self.encoder_activation = encoder_activation
        self.decoder_activation = decoder_activation
        self.reconstruction_loss = reconstruction_loss
        self.noise_type = noise_type
        self.noise_level = noise_level
        self.contractive_weight = contractive_weight
        self.class_names = class_names
        if class_names:  # the Hub's label vocabulary, from the class names (not transformers' 2-label default)
            kwargs["id2label"] = dict(enumerate(class_names))
            kwargs["label2id"] = {name: i for i, name in enumerate(class_names)}
        super().__init__(**kwargs)

    @property
    def input_size(self) -> int:
        return self.num_channels * self.image_size**2


@dataclass
class AutoencoderOutput(ModelOutput):
    loss: torch.Tensor | None = None  # reconstruction + contractive, mean over the batch
    reconstruction_loss: torch.Tensor | None = None  # 1/m sum_j l(x_j, x_hat_j)
    contractive_loss: torch.Tensor | None = None  # 1/m sum_j ||dh/dx (x_j)||_F^2 (before lambda)
    reconstruction: torch.Tensor | None = None  # x_hat, (N, C, H, W)
    code: torch.Tensor | None = None  # h, (N, d)
    corrupted: torch.Tensor | None = None  # x_tilde, (N, C, H, W), the encoder's input


def corrupt(images: torch.Tensor, noise_type: str, noise_level: float, generator: torch.Generator | None = None):
    """Sample x_tilde ~ p(x_tilde | x) for images in [0, 1]; the result stays in [0, 1]."""
    if noise_type not in NOISE_TYPES:
        raise ValueError(f"noise_type must be one of {NOISE_TYPES}, got {noise_type!r}")
    if not 0.0 <= float(noise_level) <= 1.0:
        raise ValueError(f"noise_level must be in [0, 1], got {noise_level}")
    if noise_type == "none" or noise_level == 0:
        return images
    u = torch.rand(images.shape, generator=generator, device=images.device, dtype=images.dtype)
    if noise_type == "gaussian":  # x + N(0, sigma^2), clipped
        noise = torch.randn(images.shape, generator=generator, device=images.device, dtype=images.dtype)
        return (images + noise_level * noise).clamp(0, 1)
    if noise_type == "masking":  # a fraction of pixels set to 0
        return images.masked_fill(u < noise_level, 0.0)
    salt = torch.rand(images.shape, generator=generator, device=images.device, dtype=images.dtype) < 0.5
    return torch.where(u < noise_level, salt.to(images.dtype), images)  # a fraction set to 0 or 1


def reconstruction_loss(images: torch.Tensor, reconstruction: torch.Tensor, kind: str) -> torch.Tensor:
    """Per-image sum over pixels, mean over the batch (the lecture's L = 1/m sum_j l)."""
    if kind == "bce":
        per_pixel = F.binary_cross_entropy(reconstruction, images, reduction="none")
    else:
        per_pixel = 0.5 * (images - reconstruction) ** 2
    return per_pixel.flatten(1).sum(1).mean()


class Autoencoder(PreTrainedModel):
    config_class = AutoencoderConfig
    base_model_prefix = "autoencoder"
    main_input_name = "images"
    capabilities = frozenset({"reconstruct"})  # genhub.models.CAPABILITIES

    def __init__(self, config: AutoencoderConfig):
        super().__init__(config)
        self.encoder = nn.Linear(config.input_size, config.hidden_size)  # W_h, b_h
        if config.tied_weights:
            self.decoder_bias = nn.Parameter(torch.zeros(config.input_size))  # b_x; W_x = W_h^T
        else:
            self.decoder = nn.Linear(config.hidden_size, config.input_size)  # W_x, b_x
        self.post_init()

    def encode(self, images: torch.Tensor) -> torch.Tensor:
        """h = f(W_h x + b_h); images (N, C, H, W) -> h (N, d)."""
        return ACTIVATIONS[self.config.encoder_activation](self.encoder(images.flatten(1)))

    def decode_logits(self, code: torch.Tensor) -> torch.Tensor:
        """W_x h + b_x, before g; h (N, d) -> (N, C, H, W)."""
        if self.config.tied_weights:
            pre = F.linear(code, self.encoder.weight.t(), self.decoder_bias)
        else:
            pre = self.decoder(code)
        c, s = self.config.num_channels, self.config.image_size
        return pre.view(-1, c, s, s)

    def decode(self, code: torch.Tensor) -> torch.Tensor:
        """x_hat = g(W_x h + b_x); h (N, d) -> (N, C, H, W)."""
        return ACTIVATIONS[self.config.decoder_activation](self.decode_logits(code))

    def reconstruct(self, images: torch.Tensor) -> torch.Tensor:
        """Dec(Enc(x)) in [0, 1], (N, C, H, W)."""
        return self.decode(self.encode(images))

    def contractive_penalty(self, images: torch.Tensor) -> torch.Tensor:
        """||dh/dx||_F^2 per image in closed form: sum_i f'(a_i)^2 sum_j W_ij^2, shape (N,)."""
        pre = self.encoder(images.flatten(1))  # a = W_h x + b_h, (N, d)
        slope = activation_derivative(self.config.encoder_activation, pre)  # f'(a), (N, d)
        row_norms = self.encoder.weight.pow(2).sum(1)  # sum_j W_ij^2, (d,)
        return (slope.pow(2) * row_norms).sum(1)

    def forward(
        self, images: torch.Tensor, generator: torch.Generator | None = None, corrupt_input: bool | None = None
    ):
        """Encode x_tilde (corrupted in training, or when corrupt_input=True), decode, and score against x."""
        config = self.config
        if corrupt_input is None:
            corrupt_input = self.training
        corrupted = corrupt(images, config.noise_type, config.noise_level, generator) if corrupt_input else images
        code = self.encode(corrupted)
        logits = self.decode_logits(code)
        reconstruction = ACTIVATIONS[config.decoder_activation](logits)
        if config.reconstruction_loss == "bce":  # from the logits: exact, stable, and safe under autocast
            rec_loss = F.binary_cross_entropy_with_logits(logits, images, reduction="none").flatten(1).sum(1).mean()
        else:
            rec_loss = reconstruction_loss(images, reconstruction, config.reconstruction_loss)
        loss, contractive = rec_loss, None
        if config.contractive_weight > 0:
            contractive = self.contractive_penalty(corrupted).mean()
            loss = rec_loss + config.contractive_weight * contractive
        return AutoencoderOutput(
            loss=loss,
            reconstruction_loss=rec_loss,
            contractive_loss=contractive,
            reconstruction=reconstruction,
            code=code,
            corrupted=corrupted,
        )
