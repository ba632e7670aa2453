"""genhub: the generative models of a self-/un-supervised learning lecture, as Hub-pushable models.

Importing genhub registers every family with transformers' AutoConfig/AutoModel.
"""

from .models import (
    EBGAN,
    VAE,
    Autoencoder,
    AutoencoderConfig,
    AutoencoderOutput,
    CheckpointError,
    Classifier,
    ClassifierConfig,
    ConditionalGAN,
    ConditionalGANConfig,
    EBGANConfig,
    SuperResolution,
    SuperResolutionConfig,
    TextGAN,
    TextGANConfig,
    VAEConfig,
    VAEOutput,
    Walks,
    WalksConfig,
    load_model,
)

__all__ = [
    "ConditionalGAN",
    "ConditionalGANConfig",
    "EBGAN",
    "Classifier",
    "ClassifierConfig",
    "EBGANConfig",
    "VAE",
    "Autoencoder",
    "AutoencoderConfig",
    "AutoencoderOutput",
    "CheckpointError",
    "VAEConfig",
    "VAEOutput",
    "load_model",
    "SuperResolution",
    "SuperResolutionConfig",
    "Walks",
    "WalksConfig",
    "TextGAN",
    "TextGANConfig",
]
__version__ = "0.1.0"
