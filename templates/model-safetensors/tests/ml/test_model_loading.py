"""Loading of the classifier weights at startup."""

from pathlib import Path

import pytest
import torch
from fastapi.testclient import TestClient
from safetensors.torch import load_file, save_file

from app.core.config import Settings
from app.core.inference import ModelLoadError
from app.main import create_app
from app.ml.loading import Classifier
from tests.unsafe_files import write_pickle, write_torch_checkpoint


def start(settings: Settings, **changes: object) -> None:
    with TestClient(create_app(settings.model_copy(update=changes))):
        pass


def test_model_loaded_once_into_lifespan_state(model_client: TestClient) -> None:
    classifier = model_client.app_state["classifier"]
    assert isinstance(classifier, Classifier)
    assert not classifier.model.training


def test_unset_model_path_fails(settings: Settings) -> None:
    with pytest.raises(ModelLoadError, match="MODEL_PATH is not set"):
        start(settings, MODEL_PATH=None)


def test_missing_weights_file_fails(settings: Settings, tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="does not exist"):
        start(settings, MODEL_PATH=tmp_path / "missing.safetensors")


def test_pickle_as_weights_rejected(settings: Settings, tmp_path: Path) -> None:
    weights = tmp_path / "model.safetensors"
    marker = tmp_path / "pickle-ran"
    write_pickle(weights, marker)
    with pytest.raises(ModelLoadError, match="starts with a pickle opcode"):
        start(settings, MODEL_PATH=weights)
    assert not marker.exists()


def test_torch_checkpoint_as_weights_rejected(
    settings: Settings, tmp_path: Path
) -> None:
    weights = tmp_path / "model.pt"
    marker = tmp_path / "pickle-ran"
    write_torch_checkpoint(weights, marker)
    with pytest.raises(ModelLoadError, match="ZIP archive"):
        start(settings, MODEL_PATH=weights)
    assert not marker.exists()


@pytest.mark.parametrize(
    "content",
    [b"", b"\x10\x00\x00\x00\x00\x00\x00\x00{}", b"\xff" * 64],
    ids=["empty", "header past end of file", "random bytes"],
)
def test_corrupt_weights_rejected(
    settings: Settings, tmp_path: Path, content: bytes
) -> None:
    weights = tmp_path / "model.safetensors"
    weights.write_bytes(content)
    with pytest.raises(ModelLoadError, match="is not a safetensors file"):
        start(settings, MODEL_PATH=weights)


def test_weights_of_other_architecture_rejected(
    settings: Settings, tmp_path: Path
) -> None:
    weights = tmp_path / "model.safetensors"
    save_file({"layers.0.weight": torch.zeros(8, 8)}, weights)
    with pytest.raises(ModelLoadError, match="does not contain TabularClassifier"):
        start(settings, MODEL_PATH=weights)


def test_extra_tensor_rejected(
    settings: Settings, classifier_weights: Path, tmp_path: Path
) -> None:
    tensors = {**load_file(classifier_weights), "backdoor.weight": torch.ones(1)}
    weights = tmp_path / "model.safetensors"
    save_file(tensors, weights)
    with pytest.raises(ModelLoadError, match="Unexpected key"):
        start(settings, MODEL_PATH=weights)
