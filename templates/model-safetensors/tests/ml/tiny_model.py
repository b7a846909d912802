"""Weights for TabularClassifier, made by the tests."""

import argparse
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


def main() -> None:
    """Write the tiny classifier's weights, to try the service without a trained
    model. Its predictions are meaningless."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("path", type=Path, help="the weights file to write")
    save_classifier_weights(parser.parse_args().path)


if __name__ == "__main__":
    main()
