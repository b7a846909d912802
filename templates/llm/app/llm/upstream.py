"""Text generation by an OpenAI-compatible server (vLLM, Ollama, llama.cpp).

Requests go to `{LLM_UPSTREAM_URL}/chat/completions` with connect, read, write
and pool timeouts, and the whole generation is limited to
LLM_GENERATION_TIMEOUT_SECONDS. Responses are validated before use and read
up to MAX_RESPONSE_BYTES. Proxy settings and .netrc credentials from the
environment are ignored, so the API key goes only to the configured server.
"""

import logging
import math
from collections.abc import AsyncIterator
from typing import Any

import anyio
import httpx
from pydantic import BaseModel, Field, ValidationError

from app.core.config import Settings
from app.core.inference import InferenceLimiter
from app.llm.backend import (
    BackendError,
    Chat,
    Completion,
    PreparedPrompt,
    UpstreamTimeoutError,
    Usage,
)

logger = logging.getLogger(__name__)

MAX_RESPONSE_BYTES = 4 * 1024 * 1024
# Estimate used for the up-front reservation only; the reservation is settled
# with the usage that the server reports.
BYTES_PER_TOKEN_ESTIMATE = 4
TOKENS_PER_MESSAGE_ESTIMATE = 4
SSE_DATA_PREFIX = "data:"
SSE_DONE = "[DONE]"


class UpstreamUsage(BaseModel):
    prompt_tokens: int = Field(ge=0)
    completion_tokens: int = Field(ge=0)


class UpstreamText(BaseModel):
    content: str | None = None


class UpstreamChoice(BaseModel):
    message: UpstreamText | None = None
    delta: UpstreamText | None = None
    finish_reason: str | None = Field(default=None, max_length=64)


class UpstreamResponse(BaseModel):
    choices: list[UpstreamChoice] = []
    usage: UpstreamUsage | None = None


def estimate_prompt_tokens(chat: Chat) -> int:
    total = 0
    for message in chat.messages:
        size = len(message.content.encode())
        total += (
            math.ceil(size / BYTES_PER_TOKEN_ESTIMATE) + TOKENS_PER_MESSAGE_ESTIMATE
        )
    return total


def parse_stream_line(line: str) -> UpstreamResponse | None:
    """Parse one line of a server-sent event stream. Returns None for lines
    without data, such as comments, blank lines and the final [DONE]."""
    if not line.startswith(SSE_DATA_PREFIX):
        return None
    data = line.removeprefix(SSE_DATA_PREFIX).strip()
    if data == SSE_DONE:
        return None
    return UpstreamResponse.model_validate_json(data)


class UpstreamBackend:
    def __init__(
        self, client: httpx.AsyncClient, limiter: InferenceLimiter, timeout: float
    ) -> None:
        self.client = client
        self.limiter = limiter
        self.generation_timeout = timeout

    @classmethod
    def from_settings(
        cls, settings: Settings, limiter: InferenceLimiter
    ) -> "UpstreamBackend":
        headers = {}
        if settings.LLM_UPSTREAM_API_KEY is not None:
            key = settings.LLM_UPSTREAM_API_KEY.get_secret_value()
            headers["Authorization"] = f"Bearer {key}"
        timeout = httpx.Timeout(
            settings.LLM_UPSTREAM_READ_TIMEOUT_SECONDS,
            connect=settings.LLM_UPSTREAM_CONNECT_TIMEOUT_SECONDS,
        )
        client = httpx.AsyncClient(
            base_url=f"{str(settings.LLM_UPSTREAM_URL).rstrip('/')}/",
            headers=headers,
            timeout=timeout,
            follow_redirects=False,
            trust_env=False,
        )
        return cls(client, limiter, settings.LLM_GENERATION_TIMEOUT_SECONDS)

    def prepare(self, chat: Chat) -> PreparedPrompt:
        return PreparedPrompt(chat=chat, prompt_tokens=estimate_prompt_tokens(chat))

    def payload(self, chat: Chat, *, stream: bool) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": chat.model,
            "messages": chat.as_dicts(),
            "max_tokens": chat.max_tokens,
            "temperature": chat.temperature,
            "stream": stream,
        }
        if stream:
            body["stream_options"] = {"include_usage": True}
        return body

    async def post(self, chat: Chat) -> bytes:
        request = self.client.build_request(
            "POST", "chat/completions", json=self.payload(chat, stream=False)
        )
        response = await self.client.send(request, stream=True)
        try:
            check_status(response)
            body = bytearray()
            async for data in response.aiter_bytes():
                body += data
                if len(body) > MAX_RESPONSE_BYTES:
                    logger.warning("LLM upstream response exceeds %d bytes", len(body))
                    raise BackendError("Upstream response too large")
            return bytes(body)
        finally:
            await response.aclose()

    async def generate(self, prompt: PreparedPrompt) -> Completion:
        async with self.limiter.slot():
            try:
                with anyio.fail_after(self.generation_timeout):
                    body = await self.post(prompt.chat)
            except (TimeoutError, httpx.TimeoutException) as error:
                logger.warning("LLM upstream timed out: %r", error)
                raise UpstreamTimeoutError from error
            except httpx.HTTPError as error:
                logger.warning("LLM upstream request failed: %r", error)
                raise BackendError from error
        try:
            parsed = UpstreamResponse.model_validate_json(body)
        except ValidationError as error:
            # The error text would quote the response, which may contain
            # values that redaction exists to hide.
            logger.warning(
                "LLM upstream sent an invalid response: %s", error_types(error)
            )
            raise BackendError from error
        choice = parsed.choices[0] if parsed.choices else None
        if choice is None or choice.message is None:
            logger.warning("LLM upstream response has no message")
            raise BackendError("Upstream response has no message")
        text = choice.message.content or ""
        usage = Usage(prompt_tokens=prompt.prompt_tokens)
        if parsed.usage is not None:
            usage.prompt_tokens = parsed.usage.prompt_tokens
            usage.completion_tokens = parsed.usage.completion_tokens
        usage.finish_reason = choice.finish_reason or "stop"
        return Completion(text=text, usage=usage)

    async def stream(self, prompt: PreparedPrompt, usage: Usage) -> AsyncIterator[str]:
        payload = self.payload(prompt.chat, stream=True)
        deadline = anyio.current_time() + self.generation_timeout
        async with self.limiter.slot():
            try:
                async with self.client.stream(
                    "POST", "chat/completions", json=payload
                ) as response:
                    check_status(response)
                    async for text in self.read_stream(response, usage, deadline):
                        yield text
            except httpx.TimeoutException as error:
                logger.warning("LLM upstream timed out: %r", error)
                raise UpstreamTimeoutError from error
            except httpx.HTTPError as error:
                logger.warning("LLM upstream request failed: %r", error)
                raise BackendError from error

    async def read_stream(
        self, response: httpx.Response, usage: Usage, deadline: float
    ) -> AsyncIterator[str]:
        """Yield the text of each chunk and record usage and finish reason.

        Without a usage report from the server, each text chunk counts as one
        completion token.
        """
        received = 0
        async for line in response.aiter_lines():
            received += len(line.encode())
            if received > MAX_RESPONSE_BYTES:
                logger.warning("LLM upstream stream exceeds %d bytes", received)
                raise BackendError("Upstream stream too large")
            if anyio.current_time() > deadline:
                usage.finish_reason = "time_limit"
                return
            try:
                chunk = parse_stream_line(line)
            except ValidationError as error:
                logger.warning(
                    "LLM upstream sent an invalid chunk: %s", error_types(error)
                )
                raise BackendError from error
            if chunk is None:
                continue
            if chunk.usage is not None:
                usage.prompt_tokens = chunk.usage.prompt_tokens
                usage.completion_tokens = chunk.usage.completion_tokens
            for choice in chunk.choices:
                if choice.finish_reason:
                    usage.finish_reason = choice.finish_reason
                if choice.delta is not None and choice.delta.content:
                    if chunk.usage is None:
                        usage.completion_tokens += 1
                    yield choice.delta.content

    async def aclose(self) -> None:
        await self.client.aclose()


def error_types(error: ValidationError) -> str:
    return ", ".join(sorted({str(detail["type"]) for detail in error.errors()}))


def check_status(response: httpx.Response) -> None:
    if response.status_code != httpx.codes.OK:
        logger.warning("LLM upstream returned HTTP %d", response.status_code)
        raise BackendError(f"Upstream status {response.status_code}")
