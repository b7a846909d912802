"""Fixtures for every test module once the model serving feature is on.

The application loads the classifier at startup, so any test that starts it
needs the weights on disk, whichever feature it tests.
"""

from pathlib import Path

import pytest

from app.core.config import Settings
from tests.ml.tiny_model import save_classifier_weights


@pytest.fixture(scope="session", autouse=True)
def classifier_weights(settings: Settings) -> Path:
    assert settings.MODEL_PATH is not None
    save_classifier_weights(settings.MODEL_PATH)
    return settings.MODEL_PATH
