"""Fixtures for every test module once the LLM feature is on.

The application loads its models at startup, so any test that starts it needs
the tiny LLM on disk, whichever feature it tests.
"""

from pathlib import Path

import pytest

from app.core.config import Settings


@pytest.fixture(scope="session", autouse=True)
def llm_model_dir(settings: Settings) -> Path:
    # Imported here, so that collecting the tests does not import transformers.
    from tests.llm.tiny_model import build_tiny_chat_model

    assert settings.LLM_MODEL_PATH is not None
    directory = Path(settings.LLM_MODEL_PATH)
    build_tiny_chat_model(directory)
    return directory
