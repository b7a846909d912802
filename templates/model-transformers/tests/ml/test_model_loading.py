"""Loading of the transformers classifier at startup."""

import shutil
import uuid
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.core.config import Settings
from app.core.inference import ModelLoadError
from app.main import create_app
from app.ml.loading import Classifier
from tests.unsafe_files import write_pickle, write_torch_checkpoint

COMMIT = "0123456789abcdef0123456789abcdef01234567"


def start(settings: Settings, **changes: object) -> None:
    with TestClient(create_app(settings.model_copy(update=changes))):
        pass


@pytest.fixture
def model_copy(classifier_dir: Path, tmp_path: Path) -> Path:
    directory = tmp_path / "classifier"
    shutil.copytree(classifier_dir, directory)
    return directory


def test_model_loaded_once_into_lifespan_state(model_client: TestClient) -> None:
    classifier = model_client.app_state["classifier"]
    assert isinstance(classifier, Classifier)
    assert not classifier.model.training
    assert classifier.max_input_tokens == 16


def test_unset_model_path_fails(settings: Settings) -> None:
    with pytest.raises(ModelLoadError, match="MODEL_PATH is not set"):
        start(settings, MODEL_PATH=None)


def test_missing_directory_fails(settings: Settings, tmp_path: Path) -> None:
    missing = tmp_path / "missing"
    with pytest.raises(ModelLoadError, match="neither a directory nor a Hub"):
        start(settings, MODEL_PATH=str(missing))


def test_hub_id_without_revision_fails(settings: Settings) -> None:
    with pytest.raises(ModelLoadError, match="MODEL_REVISION must pin"):
        start(settings, MODEL_PATH="example-org/classifier")


def test_hub_id_not_in_cache_fails(settings: Settings) -> None:
    # local_files_only: the lookup never leaves this machine.
    repo = f"example-org/missing-{uuid.uuid4().hex}"
    with pytest.raises(ModelLoadError, match="not in the Hugging Face cache"):
        start(settings, MODEL_PATH=repo, MODEL_REVISION=COMMIT)


def test_pickle_as_weights_rejected(
    settings: Settings, model_copy: Path, tmp_path: Path
) -> None:
    marker = tmp_path / "pickle-ran"
    write_pickle(model_copy / "model.safetensors", marker)
    with pytest.raises(ModelLoadError, match="starts with a pickle opcode"):
        start(settings, MODEL_PATH=str(model_copy))
    assert not marker.exists()


def test_pickle_checkpoint_only_rejected(
    settings: Settings, model_copy: Path, tmp_path: Path
) -> None:
    marker = tmp_path / "pickle-ran"
    (model_copy / "model.safetensors").unlink()
    write_torch_checkpoint(model_copy / "pytorch_model.bin", marker)
    with pytest.raises(ModelLoadError, match=r"contains no model\.safetensors"):
        start(settings, MODEL_PATH=str(model_copy))
    assert not marker.exists()


def test_remote_code_never_run(settings: Settings, model_copy: Path) -> None:
    config = (model_copy / "config.json").read_text()
    config = config.replace(
        '"model_type": "bert"',
        '"model_type": "bert", "auto_map": '
        '{"AutoModelForSequenceClassification": "evil.Model"}',
    )
    assert "auto_map" in config
    (model_copy / "config.json").write_text(config)
    (model_copy / "evil.py").write_text("raise SystemExit('remote code ran')\n")
    start(settings, MODEL_PATH=str(model_copy))
