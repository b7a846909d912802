"""Request and response models of the LLM routes.

Clients send only `user` and `assistant` messages. The system prompt comes from
the LLM_SYSTEM_PROMPT setting and is never taken from a request.
"""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

MAX_MESSAGES = 50
MAX_MESSAGE_CHARS = 8_000
MAX_TOTAL_CHARS = 32_000
# Upper bound of the schema. LLM_MAX_TOKENS sets a lower one per deployment.
MAX_TOKENS_LIMIT = 8_192
DEFAULT_MAX_TOKENS = 256
MODEL_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$"
# C0 controls other than tab, line feed and carriage return, DEL, and the
# Unicode tag block, which renders as nothing and can hide instructions.
MESSAGE_TEXT_PATTERN = r"^[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F\x{E0000}-\x{E007F}]*$"

ModelName = Annotated[str, Field(pattern=MODEL_NAME_PATTERN)]


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Literal["user", "assistant"]
    content: str = Field(
        min_length=1, max_length=MAX_MESSAGE_CHARS, pattern=MESSAGE_TEXT_PATTERN
    )


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    messages: list[ChatMessage] = Field(min_length=1, max_length=MAX_MESSAGES)
    model: ModelName | None = Field(
        default=None, description="One of LLM_MODELS; the first one when omitted"
    )
    max_tokens: int | None = Field(
        default=None,
        ge=1,
        le=MAX_TOKENS_LIMIT,
        strict=True,
        description=(
            f"At most LLM_MAX_TOKENS. When omitted, {DEFAULT_MAX_TOKENS} or "
            "LLM_MAX_TOKENS, whichever is lower"
        ),
    )
    temperature: float = Field(default=0.7, ge=0.0, le=2.0, allow_inf_nan=False)

    @model_validator(mode="after")
    def check_conversation(self) -> "ChatRequest":
        total = sum(len(message.content) for message in self.messages)
        if total > MAX_TOTAL_CHARS:
            raise ValueError(
                f"messages contain {total} characters in total, more than "
                f"{MAX_TOTAL_CHARS}"
            )
        if self.messages[-1].role != "user":
            raise ValueError("the last message must have the role 'user'")
        return self


class UsagePublic(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class GenerationPublic(BaseModel):
    model: str
    text: str
    finish_reason: str
    usage: UsagePublic


class TextDelta(BaseModel):
    """Data of a `message` event in the stream."""

    text: str


class StreamEnd(BaseModel):
    """Data of the final `done` event in the stream."""

    finish_reason: str
    usage: UsagePublic


class StreamError(BaseModel):
    """Data of an `error` event, sent instead of `done` when generation fails."""

    detail: str
