"""Registers every genhub family with transformers' Auto classes and loads checkpoints strictly.

After `import genhub`, `AutoModel.from_pretrained(folder_or_repo_id)` returns the right class;
`load_model` does the same but refuses anything short of a complete, intact checkpoint.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from safetensors import SafetensorError
from transformers import AutoConfig, AutoModel, PreTrainedModel

from .autoencoder import Autoencoder, AutoencoderConfig, AutoencoderOutput
from .classifier import Classifier, ClassifierConfig, ClassifierOutput
from .diffusion import Diffusion, DiffusionConfig, DiffusionSamples
from .ebgan import EBGAN, ConditionalGAN, ConditionalGANConfig, EBGANConfig, GANLossOutput
from .super_resolution import SuperResolution, SuperResolutionConfig, SuperResolutionOutput
from .text_gan import TextGAN, TextGANConfig
from .toy_gan import ToyGAN, ToyGANConfig
from .vae import VAE, VAEConfig, VAEOutput
from .walks import Walks, WalksConfig

FAMILIES = (
    (AutoencoderConfig, Autoencoder),
    (VAEConfig, VAE),
    (ClassifierConfig, Classifier),
    (ConditionalGANConfig, ConditionalGAN),
    (SuperResolutionConfig, SuperResolution),
    (WalksConfig, Walks),
    (TextGANConfig, TextGAN),
    (DiffusionConfig, Diffusion),
    (ToyGANConfig, ToyGAN),
)
for _config_class, _model_class in FAMILIES:
    AutoConfig.register(_config_class.model_type, _config_class, exist_ok=True)
    AutoModel.register(_config_class, _model_class, exist_ok=True)

CAPABILITIES = {  # what an operation may ask of a model (its class's `capabilities`) -> what that means
    "sample": "draws new images (generate)",
    "reconstruct": "encodes and decodes images",
    "latent_space": "decodes codes z of an N(0, I) prior",
    "steer": "draws from a class-conditional G(z, y) that latent walks steer",
    "search_prior": "fills missing pixels by a search of its latent space",
    "denoise": "denoises step by step from noise",
    "caption": "draws images for captions",
    "super_resolve": "upscales images",
    "classify": "classifies images",
    "walk": "holds latent walks for a generator",
    "toy": "plays the 2-D toy GAN",
}


def require(model, capability: str, task: str) -> None:
    """Refuse a model that cannot do `capability` with a ValueError naming the task and the families that can."""
    if capability not in getattr(model, "capabilities", ()):
        able = [cls.__name__ for _, cls in FAMILIES if capability in cls.capabilities]
        raise ValueError(
            f"{task} needs a genhub {' or '.join(able)} model (one that {CAPABILITIES[capability]}), "
            f"got {type(model).__name__}"
        )


def _checkpoints_dir() -> Path:
    """Where short names resolve and training writes: $GENHUB_CHECKPOINTS, else the checkout's `checkpoints/` when
    genhub runs from a checkout, else `./checkpoints` (never inside site-packages)."""
    if os.environ.get("GENHUB_CHECKPOINTS"):
        return Path(os.environ["GENHUB_CHECKPOINTS"])
    checkout = Path(__file__).resolve().parents[2]
    if (checkout / "pyproject.toml").is_file() and (checkout / "checkpoints").is_dir():
        return checkout / "checkpoints"
    return Path.cwd() / "checkpoints"


CHECKPOINTS_DIR = _checkpoints_dir()
HUB_NAMESPACE = os.environ.get("GENHUB_NAMESPACE", "genhub")  # short names not found locally: <namespace>/<name>


class CheckpointError(OSError):
    """A checkpoint could not be loaded: the message names the folder and what was wrong."""


def resolve_checkpoint(name_or_path: str | Path) -> str:
    """A folder as given; a shipped name ("fashion-vae") from CHECKPOINTS_DIR when it is there, else the Hub repo
    `<GENHUB_NAMESPACE>/<name>` (downloaded through huggingface_hub's cache); a repo id ("owner/name") as given."""
    path = Path(name_or_path)
    if path.is_dir():
        return str(path)
    if (CHECKPOINTS_DIR / str(name_or_path)).is_dir():
        return str(CHECKPOINTS_DIR / str(name_or_path))
    text = str(name_or_path)
    if "/" not in text and text.replace("-", "").replace("_", "").replace(".", "").isalnum():
        return f"{HUB_NAMESPACE}/{text}"
    return text


def load_model(name_or_path: str | Path, **kwargs) -> PreTrainedModel:
    """Load a genhub model in eval mode; raise CheckpointError unless every weight matches exactly."""
    source = resolve_checkpoint(name_or_path)
    try:
        model, info = AutoModel.from_pretrained(source, output_loading_info=True, **kwargs)
    except SafetensorError as err:
        raise CheckpointError(f"{source}: the weights file is corrupt or truncated ({err})") from err
    except json.JSONDecodeError as err:
        raise CheckpointError(f"{source}: config.json is not valid JSON ({err})") from err
    except (ValueError, KeyError) as err:
        raise CheckpointError(f"{source}: config.json is not a genhub config ({err})") from err
    except RuntimeError as err:
        raise CheckpointError(f"{source}: weights do not fit the architecture in config.json ({err})") from err
    except OSError as err:
        raise CheckpointError(f"{source}: not a loadable checkpoint folder or repo id: {err}") from err
    problems = {k: v for k, v in info.items() if k != "error_msgs" and v} | (
        {"error_msgs": info["error_msgs"]} if info.get("error_msgs") else {}
    )
    if problems:
        raise CheckpointError(f"{source}: weights do not match the architecture: {problems}")
    return model.eval()


__all__ = [
    "CAPABILITIES",
    "require",
    "ConditionalGAN",
    "ConditionalGANConfig",
    "EBGAN",
    "Diffusion",
    "DiffusionConfig",
    "DiffusionSamples",
    "Classifier",
    "ClassifierConfig",
    "ClassifierOutput",
    "EBGANConfig",
    "GANLossOutput",
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
    "SuperResolutionOutput",
    "Walks",
    "WalksConfig",
    "TextGAN",
    "TextGANConfig",
    "ToyGAN",
    "ToyGANConfig",
    "resolve_checkpoint",
    "CHECKPOINTS_DIR",
    "HUB_NAMESPACE",
]
