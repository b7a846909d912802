"""Loading of the text classifier at startup, and inference.

MODEL_PATH is a directory, or a Hub repository id pinned by MODEL_REVISION and
already in the Hugging Face cache. The model is loaded with
`local_files_only=True`, `trust_remote_code=False` and `use_safetensors=True`,
so nothing is downloaded and no code from the model runs. Texts longer than
MODEL_MAX_INPUT_TOKENS tokens are truncated.
"""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import partial

import anyio
import torch
from transformers import (
    AutoModelForSequenceClassification,
    AutoTokenizer,
    PreTrainedModel,
    PreTrainedTokenizerBase,
)

from app.core.config import Settings
from app.core.inference import InferenceLimiter, ModelLoadError
from app.core.pretrained import (
    LOCAL_ONLY_OPTIONS,
    check_model_directory,
    resolve_model_directory,
)

logger = logging.getLogger(__name__)

SETTING = "MODEL_PATH"


@dataclass(frozen=True)
class Classifier:
    model: PreTrainedModel
    tokenizer: PreTrainedTokenizerBase
    labels: tuple[str, ...]
    max_input_tokens: int
    limiter: InferenceLimiter

    def predict_probabilities(self, text: str) -> list[float]:
        """Return one probability per label, in the order of `labels`. Blocking."""
        inputs = self.tokenizer(
            text,
            truncation=True,
            max_length=self.max_input_tokens,
            return_tensors="pt",
        )
        with torch.inference_mode():
            logits = self.model(**inputs).logits
        probabilities: list[float] = torch.softmax(logits, dim=-1)[0].tolist()
        return probabilities

    async def predict(self, text: str) -> list[float]:
        """Run inference in a worker thread. Raises ServerBusyError when no
        slot becomes free within MODEL_QUEUE_TIMEOUT_SECONDS."""
        return await self.limiter.run_sync(partial(self.predict_probabilities, text))


def load_classifier(settings: Settings) -> Classifier:
    """Load the tokenizer and model of MODEL_PATH. Blocking."""
    revision = settings.MODEL_REVISION
    directory = resolve_model_directory(settings.MODEL_PATH, revision, SETTING)
    check_model_directory(directory, SETTING)

    try:
        # The revision is already applied to `directory`, and transformers
        # ignores it for a directory. It is passed to keep the pin visible.
        tokenizer = AutoTokenizer.from_pretrained(
            directory, revision=revision, **LOCAL_ONLY_OPTIONS
        )
        model = AutoModelForSequenceClassification.from_pretrained(
            directory, revision=revision, use_safetensors=True, **LOCAL_ONLY_OPTIONS
        )
    except (OSError, ValueError) as error:
        raise ModelLoadError(f"{SETTING} {directory}: {error}") from error
    model.eval()
    logger.info("Loaded %s from %s", type(model).__name__, directory)

    id2label = model.config.id2label
    labels = tuple(str(id2label[index]) for index in range(model.config.num_labels))
    max_input_tokens = settings.MODEL_MAX_INPUT_TOKENS
    context = getattr(model.config, "max_position_embeddings", None)
    if context is not None:
        max_input_tokens = min(max_input_tokens, context)

    limiter = InferenceLimiter(
        settings.MODEL_MAX_CONCURRENCY, settings.MODEL_QUEUE_TIMEOUT_SECONDS
    )
    return Classifier(
        model=model,
        tokenizer=tokenizer,
        labels=labels,
        max_input_tokens=max_input_tokens,
        limiter=limiter,
    )


@asynccontextmanager
async def open_classifier(settings: Settings) -> AsyncIterator[Classifier]:
    yield await anyio.to_thread.run_sync(load_classifier, settings)
