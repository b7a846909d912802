"""Startup of the LLM backend fails with a clear message for a bad model."""

import shutil
import uuid
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.core.config import Settings
from app.core.inference import ModelLoadError
from app.main import create_app
from tests.unsafe_files import write_pickle, write_torch_checkpoint

COMMIT = "0123456789abcdef0123456789abcdef01234567"


def start(settings: Settings, **changes: object) -> None:
    with TestClient(create_app(settings.model_copy(update=changes))):
        pass


@pytest.fixture
def model_copy(llm_model_dir: Path, tmp_path: Path) -> Path:
    directory = tmp_path / "model"
    shutil.copytree(llm_model_dir, directory)
    return directory


def test_unset_model_path_fails(settings: Settings) -> None:
    with pytest.raises(ModelLoadError, match="LLM_MODEL_PATH is not set"):
        start(settings, LLM_MODEL_PATH=None)


def test_missing_directory_fails(settings: Settings, tmp_path: Path) -> None:
    missing = tmp_path / "missing"
    with pytest.raises(ModelLoadError, match="neither a directory nor a Hub"):
        start(settings, LLM_MODEL_PATH=str(missing))


def test_hub_id_without_revision_fails(settings: Settings) -> None:
    with pytest.raises(ModelLoadError, match="LLM_MODEL_REVISION must pin"):
        start(settings, LLM_MODEL_PATH="example-org/chat-model")


def test_hub_id_not_in_cache_fails(settings: Settings) -> None:
    # local_files_only: the lookup never leaves this machine.
    repo = f"example-org/missing-{uuid.uuid4().hex}"
    with pytest.raises(ModelLoadError, match="not in the Hugging Face cache"):
        start(settings, LLM_MODEL_PATH=repo, LLM_MODEL_REVISION=COMMIT)


def test_pickle_as_weights_rejected(
    settings: Settings, model_copy: Path, tmp_path: Path
) -> None:
    marker = tmp_path / "pickle-ran"
    write_pickle(model_copy / "model.safetensors", marker)
    with pytest.raises(ModelLoadError, match="starts with a pickle opcode"):
        start(settings, LLM_MODEL_PATH=str(model_copy))
    assert not marker.exists()


def test_torch_checkpoint_as_weights_rejected(
    settings: Settings, model_copy: Path, tmp_path: Path
) -> None:
    marker = tmp_path / "pickle-ran"
    write_torch_checkpoint(model_copy / "model.safetensors", marker)
    with pytest.raises(ModelLoadError, match="ZIP archive"):
        start(settings, LLM_MODEL_PATH=str(model_copy))
    assert not marker.exists()


def test_pickle_checkpoint_only_rejected(
    settings: Settings, model_copy: Path, tmp_path: Path
) -> None:
    marker = tmp_path / "pickle-ran"
    (model_copy / "model.safetensors").unlink()
    write_torch_checkpoint(model_copy / "pytorch_model.bin", marker)
    with pytest.raises(ModelLoadError, match=r"contains no model\.safetensors"):
        start(settings, LLM_MODEL_PATH=str(model_copy))
    assert not marker.exists()


def test_shard_outside_directory_rejected(settings: Settings, model_copy: Path) -> None:
    (model_copy / "model.safetensors").unlink()
    index = '{"weight_map": {"lm_head.weight": "../../outside.safetensors"}}'
    (model_copy / "model.safetensors.index.json").write_text(index)
    with pytest.raises(ModelLoadError, match="outside the directory"):
        start(settings, LLM_MODEL_PATH=str(model_copy))


def test_missing_chat_template_fails(settings: Settings, model_copy: Path) -> None:
    (model_copy / "chat_template.jinja").unlink()
    with pytest.raises(ModelLoadError, match="no chat template"):
        start(settings, LLM_MODEL_PATH=str(model_copy))


def test_remote_code_never_run(settings: Settings, model_copy: Path) -> None:
    # A config that requests custom code loads the built-in class instead.
    config = (model_copy / "config.json").read_text()
    config = config.replace(
        '"model_type": "gpt2"',
        '"model_type": "gpt2", "auto_map": {"AutoModelForCausalLM": "evil.Model"}',
    )
    assert "auto_map" in config
    (model_copy / "config.json").write_text(config)
    (model_copy / "evil.py").write_text("raise SystemExit('remote code ran')\n")
    start(settings, LLM_MODEL_PATH=str(model_copy))
