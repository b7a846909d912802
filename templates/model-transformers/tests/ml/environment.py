"""Settings for the model serving tests, applied by the root conftest before it
imports the application."""

from pathlib import Path


def model_test_environment(test_dir: Path) -> dict[str, str]:
    return {"MODEL_PATH": str(test_dir / "classifier"), "MODEL_MAX_INPUT_TOKENS": "16"}
