"""Weights for TabularClassifier, made by the tests."""

from pathlib import Path

import torch
from safetensors.torch import save_file

from app.ml.architecture import TabularClassifier

SEED = 1234


def build_classifier() -> TabularClassifier:
    torch.manual_seed(SEED)
    return TabularClassifier().eval()


def save_classifier_weights(path: Path) -> TabularClassifier:
    model = build_classifier()
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file(model.state_dict(), path)
    return model
