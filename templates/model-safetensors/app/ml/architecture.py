"""The classifier architecture whose weights MODEL_PATH must contain.

Weights are loaded into this class, so a weights file can set numbers but never
code. To serve another model, change this class and the constants together.
"""

import torch
from torch import nn

INPUT_FEATURES = 4
HIDDEN_UNITS = 16
CLASS_LABELS = ("setosa", "versicolor", "virginica")


class TabularClassifier(nn.Module):
    """A two-layer perceptron: INPUT_FEATURES numbers in, one logit per label out.

    The state dict keys are `layers.0.weight`, `layers.0.bias`,
    `layers.2.weight` and `layers.2.bias`.
    """

    def __init__(self) -> None:
        super().__init__()
        self.layers = nn.Sequential(
            nn.Linear(INPUT_FEATURES, HIDDEN_UNITS),
            nn.ReLU(),
            nn.Linear(HIDDEN_UNITS, len(CLASS_LABELS)),
        )

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.layers(features)
