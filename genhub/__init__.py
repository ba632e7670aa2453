"""genhub: the generative models of a self-/un-supervised learning lecture, as Hub-pushable models.

Importing genhub registers every family with transformers' AutoConfig/AutoModel: at once when transformers'
Auto classes are loaded, else as soon as they are (`genhub._registration`), so `import genhub` and the command
lines stay quick. The names below are imported on first use.
"""

from __future__ import annotations

import importlib

from ._registration import install as _install_registration

_MODELS = (
    "ConditionalGAN",
    "ConditionalGANConfig",
    "EBGAN",
    "Diffusion",
    "DiffusionConfig",
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
    "ToyGAN",
    "ToyGANConfig",
)
__all__ = list(_MODELS)
__version__ = "0.1.0"


def __getattr__(name: str):
    if name in _MODELS:
        return getattr(importlib.import_module(".models", __name__), name)
    raise AttributeError(f"module 'genhub' has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *_MODELS])


_install_registration()
