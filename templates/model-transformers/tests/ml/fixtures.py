"""Fixtures for every test module once the model serving feature is on.

The application loads the classifier at startup, so any test that starts it
needs the model on disk, whichever feature it tests.
"""

from pathlib import Path

import pytest

from app.core.config import Settings


@pytest.fixture(scope="session", autouse=True)
def classifier_dir(settings: Settings) -> Path:
    # Imported here, so that collecting the tests does not import transformers.
    from tests.ml.tiny_model import save_tiny_classifier

    assert settings.MODEL_PATH is not None
    directory = Path(settings.MODEL_PATH)
    save_tiny_classifier(directory)
    return directory
