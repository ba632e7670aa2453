"""Inference-only, task-named functions over loaded genhub models (genhub's "pipelines")."""

from .reconstruction import reconstruct
from .sampling import interpolate, latent_traversal, sample

__all__ = ["interpolate", "latent_traversal", "reconstruct", "sample"]
