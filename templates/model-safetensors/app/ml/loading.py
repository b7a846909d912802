"""Loading of the classifier weights at startup, and inference.

The weights file must be safetensors. Its header is checked before loading, so
a pickle or torch.save checkpoint put in its place is rejected at startup, and
`load_state_dict(strict=True)` rejects weights for another architecture.
"""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import partial

import anyio
import torch
from safetensors import SafetensorError
from safetensors.torch import load_file

from app.core.config import Settings
from app.core.inference import InferenceLimiter, ModelLoadError, check_safetensors_file
from app.ml.architecture import TabularClassifier

logger = logging.getLogger(__name__)

SETTING = "MODEL_PATH"


@dataclass(frozen=True)
class Classifier:
    model: TabularClassifier
    limiter: InferenceLimiter

    def predict_probabilities(self, features: list[float]) -> list[float]:
        """Return one probability per label. Blocking."""
        with torch.inference_mode():
            logits = self.model(torch.tensor([features], dtype=torch.float32))
            probabilities: list[float] = torch.softmax(logits, dim=-1)[0].tolist()
        return probabilities

    async def predict(self, features: list[float]) -> list[float]:
        """Run inference in a worker thread. Raises ServerBusyError when no
        slot becomes free within MODEL_QUEUE_TIMEOUT_SECONDS."""
        return await self.limiter.run_sync(
            partial(self.predict_probabilities, features)
        )


def load_classifier(settings: Settings) -> Classifier:
    """Load the weights from MODEL_PATH into TabularClassifier. Blocking."""
    path = settings.MODEL_PATH
    if path is None:
        raise ModelLoadError(
            f"{SETTING} is not set. Set it to the safetensors weights file of "
            "TabularClassifier"
        )
    if not path.exists():
        raise ModelLoadError(f"{SETTING} {path} does not exist")
    check_safetensors_file(path, SETTING)
    try:
        state_dict = load_file(path, device="cpu")
    except SafetensorError as error:
        raise ModelLoadError(f"{SETTING} {path}: {error}") from error
    model = TabularClassifier()
    try:
        model.load_state_dict(state_dict, strict=True)
    except RuntimeError as error:
        raise ModelLoadError(
            f"{SETTING} {path} does not contain TabularClassifier weights: {error}"
        ) from error
    model.eval()
    logger.info("Loaded TabularClassifier weights from %s", path)
    limiter = InferenceLimiter(
        settings.MODEL_MAX_CONCURRENCY, settings.MODEL_QUEUE_TIMEOUT_SECONDS
    )
    return Classifier(model=model, limiter=limiter)


@asynccontextmanager
async def open_classifier(settings: Settings) -> AsyncIterator[Classifier]:
    yield await anyio.to_thread.run_sync(load_classifier, settings)
