"""The LLM backend, token bucket and redactor, created once in the lifespan."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import anyio

from app.core.config import Settings
from app.core.inference import InferenceLimiter
from app.llm.backend import LLMBackend
from app.llm.redaction import Redactor
from app.llm.token_bucket import TokenBucket, build_token_bucket
from app.llm.upstream import UpstreamBackend

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LLMService:
    backend: LLMBackend
    token_bucket: TokenBucket
    redactor: Redactor


async def load_backend(settings: Settings, limiter: InferenceLimiter) -> LLMBackend:
    if settings.LLM_BACKEND == "openai":
        return UpstreamBackend.from_settings(settings, limiter)
    # Imported here so that a service using an upstream server does not spend
    # startup time importing torch and transformers.
    from app.llm.local import load_local_backend

    return await anyio.to_thread.run_sync(load_local_backend, settings, limiter)


@asynccontextmanager
async def open_llm_service(settings: Settings) -> AsyncIterator[LLMService]:
    """Load the backend and open the token bucket storage, and close both on
    shutdown. Raises ModelLoadError when the model cannot be loaded."""
    limiter = InferenceLimiter(
        settings.LLM_MAX_CONCURRENCY, settings.LLM_QUEUE_TIMEOUT_SECONDS
    )
    redactor = Redactor(settings.LLM_REDACT_PATTERNS)
    backend = await load_backend(settings, limiter)
    token_bucket = build_token_bucket(
        settings.RATE_LIMIT_STORAGE_URI,
        settings.LLM_TOKEN_BUDGET,
        settings.LLM_TOKENS_PER_MINUTE,
        settings.LLM_TOKEN_BUCKET_MAX_KEYS,
    )
    logger.info(
        "LLM backend %s serves %s", settings.LLM_BACKEND, ", ".join(settings.LLM_MODELS)
    )
    try:
        yield LLMService(backend=backend, token_bucket=token_bucket, redactor=redactor)
    finally:
        await backend.aclose()
        await token_bucket.aclose()
