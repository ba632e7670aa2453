"""The evaluation classifier behind genhub's metrics (classifier-feature FID, conditional accuracy,
mode coverage): a small CNN trained on Fashion-MNIST with cross-entropy,

    L = 1/m sum_j -log softmax(f(x_j))_{y_j}

Its penultimate layer (`features`) plays the role Inception-v3's pool features play in FID (Heusel 2017),
for 28x28 grey images.

With `partial_view=True` the same network also takes a mask (1 = hidden) and the known pixels only, and is
trained on random holes (genhub.images.random_holes): it names the class of a partly hidden item, which is
the class evidence inpainting starts its search from (`fashion-classifier-partial`).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from transformers import PretrainedConfig, PreTrainedModel
from transformers.utils import ModelOutput

from ..images import random_holes
from .layers import base_side


class ClassifierConfig(PretrainedConfig):
    model_type = "genhub_classifier"

    def __init__(
        self,
        image_size: int = 28,  # side of the square input images, divisible by 4 (two halvings)
        num_channels: int = 1,  # image channels
        num_classes: int = 10,  # number of labels
        hidden_channels: tuple[int, int] | list[int] = (32, 64),  # conv widths of the two blocks
        feature_dim: int = 128,  # width of the penultimate layer: the FID feature space
        dropout: float = 0.3,  # dropout before the last layer
        class_names: list[str] | None = None,  # label names, index = label id
        partial_view: bool = False,  # True: also given a mask (1 = hidden), trained on randomly hidden pixels
        mirror_invariant: bool = False,  # True: trained on left-right mirrored items too; predict reads both views
        **kwargs,
    ):
        base_side(image_size)  # refuses a side the two blocks cannot halve twice
        if num_classes < 2 or feature_dim < 1 or num_channels < 1:
            raise ValueError("num_classes must be >= 2 and feature_dim, num_channels positive")
        if len(hidden_channels) != 2 or min(hidden_channels) < 1:
            raise ValueError(f"hidden_channels must be two positive widths, got {hidden_channels}")
        if not 0 <= dropout < 1:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        if class_names is not None and len(class_names) != num_classes:
            raise ValueError(f"class_names has {len(class_names)} names for {num_classes} classes")
        self.image_size = image_size
        self.num_channels = num_channels
        self.num_classes = num_classes
        self.hidden_channels = list(hidden_channels)
        self.feature_dim = feature_dim
        self.dropout = dropout
        self.class_names = class_names
        self.partial_view = bool(partial_view)
        self.mirror_invariant = bool(mirror_invariant)
        if class_names:  # the Hub's label vocabulary, from the class names (not transformers' 2-label default)
            kwargs["id2label"] = dict(enumerate(class_names))
            kwargs["label2id"] = {name: i for i, name in enumerate(class_names)}
        super().__init__(**kwargs)


@dataclass
class ClassifierOutput(ModelOutput):
    loss: torch.Tensor | None = None  # mean cross-entropy, when labels are given
    logits: torch.Tensor | None = None  # (N, num_classes)
    features: torch.Tensor | None = None  # (N, feature_dim), the FID feature space


class Classifier(PreTrainedModel):
    config_class = ClassifierConfig
    base_model_prefix = "classifier"
    main_input_name = "images"
    capabilities = frozenset({"classify"})  # genhub.models.CAPABILITIES

    def __init__(self, config: ClassifierConfig):
        super().__init__(config)
        c1, c2 = config.hidden_channels

        def block(cin, cout):  # two 3x3 convs, then halve the side
            return nn.Sequential(
                nn.Conv2d(cin, cout, 3, padding=1),
                nn.BatchNorm2d(cout),
                nn.ReLU(),
                nn.Conv2d(cout, cout, 3, padding=1),
                nn.BatchNorm2d(cout),
                nn.ReLU(),
                nn.MaxPool2d(2),
            )

        inputs = config.num_channels + int(config.partial_view)  # a partial view's mask is one more channel
        self.body = nn.Sequential(block(inputs, c1), block(c1, c2))  # -> (N, c2, 7, 7) (side / 4)
        cells = c2 * base_side(config.image_size) ** 2
        self.to_features = nn.Sequential(nn.Flatten(), nn.Linear(cells, config.feature_dim), nn.ReLU())
        self.head = nn.Sequential(nn.Dropout(config.dropout), nn.Linear(config.feature_dim, config.num_classes))
        self.post_init()

    def _inputs(self, images: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        """The network's input: the images, or for a partial view the known pixels (hidden ones zeroed) and the
        mask. Without a mask a partial view is trained on random holes (random_holes) and sees whole items in
        eval mode."""
        if not self.config.partial_view:
            if mask is not None:
                raise ValueError("this classifier sees whole items (partial_view=False); it takes no mask")
            return images
        if mask is None:
            mask = random_holes(len(images), images.shape[-1]) if self.training else torch.zeros_like(images[:, :1])
        if mask.shape != (len(images), 1, *images.shape[2:]):
            raise ValueError(f"mask must be of shape (N, 1, H, W) = {(len(images), 1, *images.shape[2:])}")
        mask = (mask > 0.5).to(images)
        return torch.cat([images * (1 - mask), mask], dim=1)

    def features(self, images: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """images (N, C, 28, 28) in [0, 1] (and for a partial view mask (N, 1, 28, 28), 1 = hidden) ->
        (N, feature_dim)."""
        return self.to_features(self.body(self._inputs(images, mask) * 2 - 1))

    def forward(
        self, images: torch.Tensor, labels: torch.Tensor | None = None, mask: torch.Tensor | None = None
    ) -> ClassifierOutput:
        features = self.features(images, mask)
        logits = self.head(features)
        loss = F.cross_entropy(logits, labels) if labels is not None else None
        return ClassifierOutput(loss=loss, logits=logits, features=features)

    @torch.no_grad()
    def predict(self, images: torch.Tensor, batch_size: int = 1000, mask: torch.Tensor | None = None) -> torch.Tensor:
        """Predicted label ids (N,); a partial view also takes the mask (1 = hidden). A mirror-invariant classifier
        also reads each item mirrored left-right and names the class likeliest under both views (the sum of the two
        views' log-probabilities: test-time augmentation by the symmetry it was trained with)."""
        labels = []
        for i in range(0, len(images), batch_size):
            part = None if mask is None else mask[i : i + batch_size]
            log_p = self(images[i : i + batch_size], mask=part).logits.log_softmax(1)
            if self.config.mirror_invariant:
                mirrored = None if part is None else part.flip(-1)
                log_p = log_p + self(images[i : i + batch_size].flip(-1), mask=mirrored).logits.log_softmax(1)
            labels.append(log_p.argmax(1))
        return torch.cat(labels)
