"""Text generation with a local transformers model, loaded once at startup.

LLM_MODEL_PATH is a directory, or a Hub repository id pinned by
LLM_MODEL_REVISION and already in the Hugging Face cache. It must contain
safetensors weights and a tokenizer with a chat template. Loading reads only
local files and never runs code from the model (`local_files_only=True`,
`trust_remote_code=False`, `use_safetensors=True`). Generation runs in worker
threads, at most LLM_MAX_CONCURRENCY at once.
"""

import logging
import queue
import threading
import time
from collections.abc import AsyncIterator
from functools import partial
from typing import Any

import anyio
import torch
from transformers import (
    AutoModelForCausalLM,
    AutoTokenizer,
    PreTrainedModel,
    PreTrainedTokenizerBase,
    StoppingCriteria,
    StoppingCriteriaList,
    TextStreamer,
)

from app.core.config import Settings
from app.core.inference import InferenceLimiter, ModelLoadError
from app.core.pretrained import (
    LOCAL_ONLY_OPTIONS,
    check_model_directory,
    resolve_model_directory,
)
from app.llm.backend import (
    BackendError,
    Chat,
    Completion,
    PreparedPrompt,
    PromptRejectedError,
    PromptTooLongError,
    Usage,
)

logger = logging.getLogger(__name__)

SETTING = "LLM_MODEL_PATH"
# Ends the queue of streamed text pieces.
END_OF_STREAM = None


def load_local_backend(settings: Settings, limiter: InferenceLimiter) -> "LocalBackend":
    """Load the tokenizer and model of LLM_MODEL_PATH. Blocking."""
    revision = settings.LLM_MODEL_REVISION
    directory = resolve_model_directory(settings.LLM_MODEL_PATH, revision, SETTING)
    check_model_directory(directory, SETTING)
    try:
        # The revision is already applied to `directory`, and transformers
        # ignores it for a directory. It is passed to keep the pin visible.
        tokenizer = AutoTokenizer.from_pretrained(
            directory, revision=revision, **LOCAL_ONLY_OPTIONS
        )
        model = AutoModelForCausalLM.from_pretrained(
            directory, revision=revision, use_safetensors=True, **LOCAL_ONLY_OPTIONS
        )
    except (OSError, ValueError) as error:
        raise ModelLoadError(f"{SETTING} {directory}: {error}") from error
    if not tokenizer.chat_template:
        message = f"{SETTING} {directory}: the tokenizer has no chat template"
        raise ModelLoadError(message)
    model.eval()
    logger.info("Loaded %s from %s", type(model).__name__, directory)
    timeout = settings.LLM_GENERATION_TIMEOUT_SECONDS
    return LocalBackend(model, tokenizer, limiter, timeout)


class StopOnEvent(StoppingCriteria):
    """Stop generation once the event is set, for example when the client left."""

    def __init__(self, event: threading.Event) -> None:
        self.event = event

    def __call__(
        self, input_ids: torch.LongTensor, scores: torch.FloatTensor, **kwargs: Any
    ) -> torch.BoolTensor:
        stopped = self.event.is_set()
        return torch.full((input_ids.shape[0],), stopped, dtype=torch.bool)


class QueueStreamer(TextStreamer):
    """Put decoded text pieces on a queue and count the generated tokens."""

    def __init__(
        self, tokenizer: PreTrainedTokenizerBase, pieces: queue.Queue[Any], usage: Usage
    ) -> None:
        super().__init__(tokenizer, skip_prompt=True, skip_special_tokens=True)
        self.pieces = pieces
        self.usage = usage

    def put(self, value: torch.Tensor) -> None:
        if not self.next_tokens_are_prompt:
            self.usage.completion_tokens += value.numel()
        super().put(value)

    def on_finalized_text(self, text: str, stream_end: bool = False) -> None:
        if text:
            self.pieces.put(text)


class LocalBackend:
    def __init__(
        self,
        model: PreTrainedModel,
        tokenizer: PreTrainedTokenizerBase,
        limiter: InferenceLimiter,
        generation_timeout: float,
    ) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.limiter = limiter
        self.generation_timeout = generation_timeout
        self.context_tokens: int | None = getattr(
            model.config, "max_position_embeddings", None
        )

    def prepare(self, chat: Chat) -> PreparedPrompt:
        """Tokenize the chat with the model's chat template.

        Text in a message that spells a control token, such as `<|system|>`, is
        encoded as ordinary text (`sanitize_control_tokens`), so only the
        template itself can open a turn.
        """
        try:
            encoded = self.tokenizer.apply_chat_template(
                chat.as_dicts(),
                add_generation_prompt=True,
                sanitize_control_tokens=True,
                return_dict=True,
                return_tensors="pt",
            )
        except ValueError as error:
            # For example a control token that the tokenizer also produces
            # from plain text, so that it cannot be encoded as text.
            logger.warning("Chat template failed: %s", error)
            detail = "The messages cannot be encoded for this model"
            raise PromptRejectedError(detail) from error
        prompt_tokens = int(encoded["input_ids"].shape[-1])
        context = self.context_tokens
        if context is not None and prompt_tokens + chat.max_tokens > context:
            raise PromptTooLongError(prompt_tokens, chat.max_tokens, context)
        return PreparedPrompt(chat=chat, prompt_tokens=prompt_tokens, input_ids=encoded)

    def generation_options(self, chat: Chat, stop: threading.Event) -> dict[str, Any]:
        pad_token_id = self.tokenizer.pad_token_id
        if pad_token_id is None:
            pad_token_id = self.tokenizer.eos_token_id
        options: dict[str, Any] = {
            "max_new_tokens": chat.max_tokens,
            "max_time": self.generation_timeout,
            "pad_token_id": pad_token_id,
            "stopping_criteria": StoppingCriteriaList([StopOnEvent(stop)]),
        }
        if chat.temperature > 0:
            options.update(do_sample=True, temperature=chat.temperature)
        else:
            options["do_sample"] = False
        return options

    def finish_reason(self, usage: Usage, chat: Chat, elapsed: float) -> str:
        if usage.completion_tokens >= chat.max_tokens:
            return "length"
        if elapsed >= self.generation_timeout:
            return "time_limit"
        return "stop"

    def run_generation(
        self, prompt: PreparedPrompt, usage: Usage, stop: threading.Event, **extra: Any
    ) -> torch.Tensor:
        options = self.generation_options(prompt.chat, stop)
        started = time.monotonic()
        with torch.inference_mode():
            output = self.model.generate(**prompt.input_ids, **options, **extra)
        elapsed = time.monotonic() - started
        generated = output[0, prompt.prompt_tokens :]
        usage.completion_tokens = generated.numel()
        usage.finish_reason = self.finish_reason(usage, prompt.chat, elapsed)
        return generated

    def generate_text(self, prompt: PreparedPrompt) -> Completion:
        usage = Usage(prompt_tokens=prompt.prompt_tokens)
        generated = self.run_generation(prompt, usage, threading.Event())
        text = self.tokenizer.decode(generated, skip_special_tokens=True)
        return Completion(text=text, usage=usage)

    async def generate(self, prompt: PreparedPrompt) -> Completion:
        try:
            return await self.limiter.run_sync(partial(self.generate_text, prompt))
        except (RuntimeError, ValueError) as error:
            logger.exception("Local generation failed")
            raise BackendError from error

    def stream_into(
        self,
        prompt: PreparedPrompt,
        usage: Usage,
        pieces: queue.Queue[Any],
        stop: threading.Event,
    ) -> None:
        """Generate in this thread and put text pieces, then END_OF_STREAM, on
        the queue. A failure is put on the queue as the exception."""
        streamer = QueueStreamer(self.tokenizer, pieces, usage)
        try:
            self.run_generation(prompt, usage, stop, streamer=streamer)
        except Exception as error:
            logger.exception("Local generation failed")
            pieces.put(error)
        finally:
            pieces.put(END_OF_STREAM)

    async def stream(self, prompt: PreparedPrompt, usage: Usage) -> AsyncIterator[str]:
        pieces: queue.Queue[Any] = queue.Queue()
        stop = threading.Event()
        async with self.limiter.slot():
            worker = threading.Thread(
                target=self.stream_into,
                args=(prompt, usage, pieces, stop),
                name="llm-generation",
                daemon=True,
            )
            worker.start()
            try:
                while True:
                    piece = await anyio.to_thread.run_sync(pieces.get)
                    if piece is END_OF_STREAM:
                        break
                    if isinstance(piece, Exception):
                        raise BackendError from piece
                    yield piece
            finally:
                # Stop generating for a client that left, and keep the slot
                # until the thread has really stopped.
                stop.set()
                with anyio.CancelScope(shield=True):
                    await anyio.to_thread.run_sync(worker.join)

    async def aclose(self) -> None:
        return None
