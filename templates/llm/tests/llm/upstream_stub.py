"""A small OpenAI-compatible server that the upstream tests start on 127.0.0.1.

It replies with CANNED_REPLY, streamed in pieces of CHUNK_CHARS characters so
that the SSN and the card number are split across chunks. The model name picks
a failure: "stub-slow" replies after SLOW_SECONDS, "stub-broken" returns HTTP
500 and "stub-garbage" returns a body that is not a completion.
"""

import asyncio
import json
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager

import uvicorn
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

CANNED_REPLY = "Your SSN is 123-45-6789 and your card is 4111 1111 1111 1111."
REDACTED_CANNED_REPLY = "Your SSN is [REDACTED SSN] and your card is [REDACTED CARD]."
CHUNK_CHARS = 3
PROMPT_TOKENS = 12
COMPLETION_TOKENS = 7
SLOW_SECONDS = 3.0


class CompletionRequest(BaseModel):
    """The fields that the upstream backend may send; others are rejected."""

    model_config = ConfigDict(extra="forbid")

    model: str = Field(max_length=64)
    messages: list[dict[str, str]] = Field(max_length=100)
    max_tokens: int = Field(ge=1, le=10_000)
    temperature: float = Field(ge=0, le=2)
    stream: bool = False
    stream_options: dict[str, bool] | None = None


def usage() -> dict[str, int]:
    return {
        "prompt_tokens": PROMPT_TOKENS,
        "completion_tokens": COMPLETION_TOKENS,
        "total_tokens": PROMPT_TOKENS + COMPLETION_TOKENS,
    }


async def stream_reply() -> AsyncIterator[str]:
    for start in range(0, len(CANNED_REPLY), CHUNK_CHARS):
        piece = CANNED_REPLY[start : start + CHUNK_CHARS]
        chunk = {"choices": [{"index": 0, "delta": {"content": piece}}]}
        yield f"data: {json.dumps(chunk)}\n\n"
    finish = {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
    yield f"data: {json.dumps(finish)}\n\n"
    yield f"data: {json.dumps({'choices': [], 'usage': usage()})}\n\n"
    yield "data: [DONE]\n\n"


def build_stub_app() -> FastAPI:
    app = FastAPI()
    app.state.requests = []

    @app.post("/v1/chat/completions")
    async def completions(completion: CompletionRequest, request: Request) -> Response:
        body = completion.model_dump(exclude_none=True)
        app.state.requests.append((dict(request.headers), body))
        model = completion.model
        if model == "stub-slow":
            await asyncio.sleep(SLOW_SECONDS)
        if model == "stub-broken":
            return JSONResponse({"error": "boom"}, status_code=500)
        if model == "stub-garbage":
            return JSONResponse({"choices": "not a list"})
        if completion.stream:
            return StreamingResponse(stream_reply(), media_type="text/event-stream")
        message = {"role": "assistant", "content": CANNED_REPLY}
        choice = {"index": 0, "message": message, "finish_reason": "stop"}
        return JSONResponse({"choices": [choice], "usage": usage()})

    return app


@contextmanager
def run_stub_server() -> Iterator[tuple[str, FastAPI]]:
    """Serve the stub on a free port of 127.0.0.1 and yield its base URL."""
    app = build_stub_app()
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(500):
        if server.started:
            break
        threading.Event().wait(0.01)
    if not server.started:
        raise RuntimeError("The stub upstream server did not start")
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/v1", app
    finally:
        server.should_exit = True
        thread.join(timeout=10)
