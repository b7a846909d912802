"""Loading of transformers models from a local directory or a pinned snapshot in
the Hugging Face cache, without network access and without repository code.

A model source is either a directory or a Hub repository id. A repository id
needs a 40-character commit hash, and its files must already be in the cache,
for example from `hf download ORG/NAME --revision COMMIT` while building the
image. Nothing is downloaded at run time.
"""

import json
import logging
import re
from pathlib import Path
from typing import Any

from huggingface_hub import snapshot_download
from huggingface_hub.errors import LocalEntryNotFoundError

from app.core.inference import ModelLoadError, check_safetensors_file

logger = logging.getLogger(__name__)

REPO_ID_PATTERN = re.compile(r"^[A-Za-z0-9][\w.-]{0,95}/[\w.-]{1,96}$")
WEIGHTS_FILE = "model.safetensors"
WEIGHTS_INDEX_FILE = "model.safetensors.index.json"
# Passed to every from_pretrained call. The revision is passed separately.
LOCAL_ONLY_OPTIONS: dict[str, Any] = {
    "local_files_only": True,
    "trust_remote_code": False,
}


def resolve_model_directory(
    source: str | None, revision: str | None, setting: str
) -> Path:
    """Return the directory that contains the model, or raise ModelLoadError."""
    revision_setting = setting.replace("_PATH", "_REVISION")
    if source is None:
        raise ModelLoadError(
            f"{setting} is not set. Set it to a model directory, or to a Hub "
            f"repository id with {revision_setting}"
        )
    path = Path(source)
    if path.is_dir():
        return path
    if not REPO_ID_PATTERN.fullmatch(source):
        raise ModelLoadError(
            f"{setting} {source} is neither a directory nor a Hub repository id"
        )
    if revision is None:
        raise ModelLoadError(
            f"{setting} {source} is not a local directory, so {revision_setting} "
            "must pin it to a 40-character commit hash"
        )
    try:
        snapshot = snapshot_download(source, revision=revision, local_files_only=True)
    except (LocalEntryNotFoundError, OSError) as error:
        raise ModelLoadError(
            f"{setting} {source} at {revision} is not in the Hugging Face cache. "
            f"Download it before starting: hf download {source} --revision {revision}"
        ) from error
    return Path(str(snapshot))


def weight_files(directory: Path, setting: str) -> list[Path]:
    """Return the safetensors files of a model directory, single or sharded."""
    if (directory / WEIGHTS_FILE).exists():
        return [directory / WEIGHTS_FILE]
    index = directory / WEIGHTS_INDEX_FILE
    if not index.exists():
        raise ModelLoadError(
            f"{setting} {directory} contains no {WEIGHTS_FILE} or "
            f"{WEIGHTS_INDEX_FILE}. Only safetensors weights are loaded, never "
            "pickle checkpoints such as pytorch_model.bin"
        )
    try:
        shard_names = set(json.loads(index.read_text())["weight_map"].values())
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise ModelLoadError(f"{setting} {index} is not a weights index") from error
    for name in shard_names:
        if not isinstance(name, str) or Path(name).name != name:
            message = f"{setting} {index} names a file outside the directory"
            raise ModelLoadError(message)
    return [directory / name for name in sorted(shard_names)]


def check_model_directory(directory: Path, setting: str) -> None:
    """Raise ModelLoadError unless every weights file is safetensors."""
    for weights in weight_files(directory, setting):
        check_safetensors_file(weights, setting)
