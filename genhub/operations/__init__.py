"""Inference-only, task-named functions over loaded genhub models (genhub's "pipelines")."""

from .captions import CaptionWalkOutput, caption_walk
from .compare import ComparisonOutput, compare_families
from .inpainting import inpaint, inpaint_baseline
from .masks import PRESET_MASKS, preset_mask
from .reconstruction import reconstruct
from .sampling import (
    class_ids_from_names,
    denoising_trajectory,
    interpolate,
    interpolate_seeds,
    latent_traversal,
    one_hot_from_names,
    sample,
    truncated_noise_sample,
)
from .steering import SteeringOutput, discover_directions, steer, walk_strip
from .super_resolution import super_resolve

__all__ = [
    "CaptionWalkOutput",
    "PRESET_MASKS",
    "caption_walk",
    "ComparisonOutput",
    "compare_families",
    "preset_mask",
    "class_ids_from_names",
    "denoising_trajectory",
    "inpaint",
    "inpaint_baseline",
    "interpolate",
    "interpolate_seeds",
    "latent_traversal",
    "one_hot_from_names",
    "reconstruct",
    "sample",
    "SteeringOutput",
    "discover_directions",
    "steer",
    "super_resolve",
    "walk_strip",
    "truncated_noise_sample",
]
