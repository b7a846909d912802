"""Dependencies of the LLM routes: the service, the checked prompt and the token
budget. They run before a response starts, so a stream is rejected with a
status code, not with an error in the stream.
"""

import logging
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, status
from fastapi.exceptions import RequestValidationError

from app.core.config import Settings, SettingsDep
from app.core.rate_limit import too_many_requests
from app.llm.auth import LLMCallerDep
from app.llm.backend import Chat, Message, PreparedPrompt, PromptRejectedError
from app.llm.guards import find_control_marker, log_injection_signals
from app.llm.schemas import DEFAULT_MAX_TOKENS, ChatRequest
from app.llm.service import LLMService
from app.llm.token_bucket import (
    TokenBucketUnavailableError,
    TokenReservation,
    retry_after_header,
)

logger = logging.getLogger(__name__)


def get_llm_service(request: Request) -> LLMService:
    service: LLMService = request.state.llm
    return service


LLMServiceDep = Annotated[LLMService, Depends(get_llm_service)]


def invalid_field(location: tuple[Any, ...], message: str) -> RequestValidationError:
    """Build a 422 error in the shape of Pydantic's, for checks that need settings."""
    error = {"type": "value_error", "loc": ("body", *location), "msg": message}
    return RequestValidationError([error])


def resolve_model(body: ChatRequest, settings: Settings) -> str:
    if body.model is None:
        return settings.LLM_MODELS[0]
    if body.model not in settings.LLM_MODELS:
        raise invalid_field(
            ("model",), f"Unknown model. Allowed: {', '.join(settings.LLM_MODELS)}"
        )
    return body.model


def resolve_max_tokens(body: ChatRequest, settings: Settings) -> int:
    if body.max_tokens is None:
        return min(DEFAULT_MAX_TOKENS, settings.LLM_MAX_TOKENS)
    if body.max_tokens > settings.LLM_MAX_TOKENS:
        raise invalid_field(
            ("max_tokens",), f"max_tokens must be at most {settings.LLM_MAX_TOKENS}"
        )
    return body.max_tokens


def check_control_markers(body: ChatRequest) -> None:
    for index, message in enumerate(body.messages):
        marker = find_control_marker(message.content)
        if marker is not None:
            raise invalid_field(
                ("messages", index, "content"),
                f"Message contains the reserved chat-template marker {marker!r}",
            )


def build_chat(
    system_prompt: str, request: ChatRequest, model: str, max_tokens: int
) -> Chat:
    """Put the server's system prompt first and each client message after it,
    unchanged and with its own role."""
    messages = [Message(role="system", content=system_prompt)]
    messages.extend(Message(role=m.role, content=m.content) for m in request.messages)
    return Chat(
        model=model,
        messages=tuple(messages),
        max_tokens=max_tokens,
        temperature=request.temperature,
    )


def prepare_prompt(
    body: ChatRequest, caller: LLMCallerDep, llm: LLMServiceDep, settings: SettingsDep
) -> PreparedPrompt:
    """Check the request against the settings and build the prompt from the
    server's system prompt and the client's messages."""
    model = resolve_model(body, settings)
    max_tokens = resolve_max_tokens(body, settings)
    check_control_markers(body)
    log_injection_signals(body.messages, caller.id)
    chat = build_chat(settings.LLM_SYSTEM_PROMPT, body, model, max_tokens)
    try:
        return llm.backend.prepare(chat)
    except PromptRejectedError as error:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, detail=error.detail
        ) from None


PreparedPromptDep = Annotated[PreparedPrompt, Depends(prepare_prompt)]


@dataclass(frozen=True)
class BudgetedPrompt:
    """A checked prompt and the tokens reserved for it.

    Routes take both through this one dependency. A route that also took the
    prompt on its own would reach the body through two paths, and FastAPI
    would report each validation error of the body twice.
    """

    prompt: PreparedPrompt
    reservation: TokenReservation


async def reserve_token_budget(
    prompt: PreparedPromptDep,
    caller: LLMCallerDep,
    llm: LLMServiceDep,
    settings: SettingsDep,
) -> BudgetedPrompt:
    """Reserve the prompt tokens plus `max_tokens` from the caller's bucket, or
    raise 429 with Retry-After when the bucket does not contain that many.

    The prompt comes from the ChatRequest that FastAPI has already validated;
    this dependency never reads the raw request body.
    """
    cost = prompt.prompt_tokens + prompt.chat.max_tokens
    if cost > settings.LLM_TOKEN_BUDGET:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            detail=(
                f"The request needs {cost} tokens, more than the token budget of "
                f"{settings.LLM_TOKEN_BUDGET}. Shorten the messages or lower "
                "max_tokens"
            ),
        )
    try:
        decision = await llm.token_bucket.reserve(caller.id, cost)
    except TokenBucketUnavailableError:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            detail="Token budget storage unavailable. Try again later",
        ) from None
    if not decision.granted:
        logger.info("Token budget of %s exhausted (needs %d)", caller.id, cost)
        raise too_many_requests(
            retry_after_header(decision.retry_after),
            detail="Token budget exhausted. Try again later",
        )
    reservation = TokenReservation(
        bucket=llm.token_bucket, key=caller.id, reserved=cost
    )
    return BudgetedPrompt(prompt=prompt, reservation=reservation)


BudgetedPromptDep = Annotated[BudgetedPrompt, Depends(reserve_token_budget)]
