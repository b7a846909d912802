"""Text generation routes, whole and streamed as server-sent events.

Both take a ChatRequest body. Output passes the redactor before it leaves, and
the token reservation is settled with the tokens really used.
"""

import logging
from collections.abc import AsyncIterator
from contextlib import aclosing

import anyio
from fastapi import APIRouter, HTTPException, status
from fastapi.sse import EventSourceResponse, ServerSentEvent

from app.core.inference import ServerBusyError, server_busy_error
from app.llm.auth import LLMCallerDep
from app.llm.backend import BackendError, UpstreamTimeoutError, Usage
from app.llm.deps import BudgetedPromptDep, LLMServiceDep
from app.llm.schemas import (
    GenerationPublic,
    StreamEnd,
    StreamError,
    TextDelta,
    UsagePublic,
)

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/llm", tags=["llm"])

ERROR_RESPONSES = {
    status.HTTP_401_UNAUTHORIZED: {"description": "Missing or invalid credentials"},
    status.HTTP_429_TOO_MANY_REQUESTS: {"description": "Token budget exhausted"},
    status.HTTP_503_SERVICE_UNAVAILABLE: {"description": "All model slots busy"},
}


def usage_public(usage: Usage) -> UsagePublic:
    return UsagePublic(
        prompt_tokens=usage.prompt_tokens,
        completion_tokens=usage.completion_tokens,
        total_tokens=usage.total_tokens,
    )


def backend_http_error(error: BackendError) -> HTTPException:
    if isinstance(error, UpstreamTimeoutError):
        return HTTPException(status.HTTP_504_GATEWAY_TIMEOUT, detail=error.detail)
    return HTTPException(status.HTTP_502_BAD_GATEWAY, detail=error.detail)


@router.post(
    "/generate",
    responses={
        **ERROR_RESPONSES,
        status.HTTP_502_BAD_GATEWAY: {"description": "Generation failed"},
        status.HTTP_504_GATEWAY_TIMEOUT: {"description": "Model server timed out"},
    },
)
async def generate(
    budgeted: BudgetedPromptDep, caller: LLMCallerDep, llm: LLMServiceDep
) -> GenerationPublic:
    """Generate a reply to the messages of a ChatRequest body."""
    prompt, reservation = budgeted.prompt, budgeted.reservation
    try:
        completion = await llm.backend.generate(prompt)
    except ServerBusyError:
        logger.warning("No model slot became free for %s", caller.id)
        await reservation.settle(0)
        raise server_busy_error() from None
    except BackendError as error:
        logger.warning("Generation for %s failed: %s", caller.id, error.detail)
        await reservation.settle(prompt.prompt_tokens)
        raise backend_http_error(error) from None
    usage = completion.usage
    await reservation.settle(usage.total_tokens)
    text, redacted = llm.redactor.redact(completion.text)
    if redacted:
        logger.info("Redacted %d values in the reply to %s", redacted, caller.id)
    return GenerationPublic(
        model=prompt.chat.model,
        text=text,
        finish_reason=usage.finish_reason,
        usage=usage_public(usage),
    )


@router.post("/stream", response_class=EventSourceResponse, responses=ERROR_RESPONSES)
async def stream(
    budgeted: BudgetedPromptDep, caller: LLMCallerDep, llm: LLMServiceDep
) -> AsyncIterator[ServerSentEvent]:
    """Stream a reply to a ChatRequest body as server-sent events: `message`
    events with `{"text": ...}`, then one `done` event with the finish reason
    and usage, or one `error` event."""
    prompt, reservation = budgeted.prompt, budgeted.reservation
    usage = Usage(prompt_tokens=prompt.prompt_tokens)
    redactor = llm.redactor.stream()
    try:
        async with aclosing(llm.backend.stream(prompt, usage)) as pieces:
            async for piece in pieces:
                text = redactor.feed(piece)
                if text:
                    yield ServerSentEvent(data=TextDelta(text=text))
        text = redactor.flush()
        if text:
            yield ServerSentEvent(data=TextDelta(text=text))
        end = StreamEnd(finish_reason=usage.finish_reason, usage=usage_public(usage))
        yield ServerSentEvent(event="done", data=end)
    except ServerBusyError:
        logger.warning("No model slot became free for %s", caller.id)
        usage = Usage(prompt_tokens=0)
        detail = server_busy_error().detail
        yield ServerSentEvent(event="error", data=StreamError(detail=detail))
    except BackendError as error:
        logger.warning("Streaming for %s failed: %s", caller.id, error.detail)
        # Text held back by the redactor is dropped: it may end in part of a
        # number that the rest of the stream would have completed.
        yield ServerSentEvent(event="error", data=StreamError(detail=error.detail))
    finally:
        # Runs also when the client disconnects and the task is cancelled.
        with anyio.CancelScope(shield=True):
            await reservation.settle(usage.total_tokens)
        if redactor.redacted_count:
            logger.info(
                "Redacted %d values in the stream to %s",
                redactor.redacted_count,
                caller.id,
            )
