"""The evaluation classifier behind genhub's metrics (classifier-feature FID, conditional accuracy,
mode coverage): a small CNN trained on Fashion-MNIST with cross-entropy,

    L = 1/m sum_j -log softmax(f(x_j))_{y_j}

Its penultimate layer (`features`) plays the role Inception-v3's pool features play in FID (Heusel 2017),
for 28x28 grey images.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from transformers import PretrainedConfig, PreTrainedModel
from transformers.utils import ModelOutput


class ClassifierConfig(PretrainedConfig):
    model_type = "genhub_classifier"

    def __init__(
        self,
        image_size: int = 28,  # side of the square input images
        num_channels: int = 1,  # image channels
        num_classes: int = 10,  # number of labels
        hidden_channels: tuple[int, int] | list[int] = (32, 64),  # conv widths of the two blocks
        feature_dim: int = 128,  # width of the penultimate layer: the FID feature space
        dropout: float = 0.3,  # dropout before the last layer
        class_names: list[str] | None = None,  # label names, index = label id
        **kwargs,
    ):
        if image_size != 28:
            raise ValueError(f"the classifier works on 28x28 images, got image_size={image_size}")
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

        self.body = nn.Sequential(block(config.num_channels, c1), block(c1, c2))  # -> (N, c2, 7, 7)
        self.to_features = nn.Sequential(nn.Flatten(), nn.Linear(c2 * 49, config.feature_dim), nn.ReLU())
        self.head = nn.Sequential(nn.Dropout(config.dropout), nn.Linear(config.feature_dim, config.num_classes))
        self.post_init()

    def features(self, images: torch.Tensor) -> torch.Tensor:
        """images (N, C, 28, 28) in [0, 1] -> (N, feature_dim)."""
        return self.to_features(self.body(images * 2 - 1))

    def forward(self, images: torch.Tensor, labels: torch.Tensor | None = None) -> ClassifierOutput:
        features = self.features(images)
        logits = self.head(features)
        loss = F.cross_entropy(logits, labels) if labels is not None else None
        return ClassifierOutput(loss=loss, logits=logits, features=features)

    @torch.no_grad()
    def predict(self, images: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
        """Predicted label ids (N,)."""
        return torch.cat([self(images[i : i + batch_size]).logits.argmax(1) for i in range(0, len(images), batch_size)])
