"""genhub: the generative models of a self-/un-supervised learning lecture, as Hub-pushable models.

Importing genhub registers every family with transformers' AutoConfig/AutoModel.
"""

from .models import (
    VAE, Autoencoder, AutoencoderConfig, AutoencoderOutput, CheckpointError, VAEConfig, VAEOutput, load_model,
)

__all__ = [
    "VAE", "Autoencoder", "AutoencoderConfig", "AutoencoderOutput", "CheckpointError", "VAEConfig",
    "VAEOutput", "load_model",
]
__version__ = "0.1.0"
