"""The interface that every model backend implements, and the values it uses."""

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

Role = Literal["system", "user", "assistant"]


@dataclass(frozen=True)
class Message:
    role: Role
    content: str


@dataclass(frozen=True)
class Chat:
    """A conversation ready for a backend: the server's system message first."""

    model: str
    messages: tuple[Message, ...]
    max_tokens: int
    temperature: float

    def as_dicts(self) -> list[dict[str, str]]:
        return [{"role": m.role, "content": m.content} for m in self.messages]


@dataclass(frozen=True)
class PreparedPrompt:
    """A chat with its exact or estimated prompt size, and the token ids where
    the backend tokenizes locally."""

    chat: Chat
    prompt_tokens: int
    input_ids: Any = None


@dataclass
class Usage:
    """Token counts of one generation, updated while a stream runs, so that the
    tokens used so far are known when the client disconnects."""

    prompt_tokens: int
    completion_tokens: int = 0
    finish_reason: str = "stop"

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass(frozen=True)
class Completion:
    text: str
    usage: Usage = field(compare=False)


class BackendError(Exception):
    """Generation failed. `detail` is safe to show to clients."""

    detail = "The model failed to generate a response"


class PromptRejectedError(BackendError):
    """The prompt cannot be sent to the model, for the reason in `detail`."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class PromptTooLongError(PromptRejectedError):
    def __init__(self, prompt_tokens: int, max_tokens: int, context_tokens: int):
        super().__init__(
            f"The prompt has {prompt_tokens} tokens and max_tokens is {max_tokens}, "
            f"more than the model's context of {context_tokens} tokens. "
            "Shorten the messages or lower max_tokens"
        )


class UpstreamTimeoutError(BackendError):
    detail = "The model server timed out"


class LLMBackend(Protocol):
    """A text generation backend.

    `stream` yields text pieces and updates `usage` as tokens arrive. Both
    `generate` and `stream` raise BackendError, or ServerBusyError when no
    inference slot becomes free in time.
    """

    def prepare(self, chat: Chat) -> PreparedPrompt: ...

    async def generate(self, prompt: PreparedPrompt) -> Completion: ...

    def stream(self, prompt: PreparedPrompt, usage: Usage) -> AsyncIterator[str]: ...

    async def aclose(self) -> None: ...
