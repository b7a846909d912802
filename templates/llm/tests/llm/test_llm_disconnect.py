"""A client that closes its HTTP connection in the middle of a stream gets the
unused part of its token reservation back.

The application runs under uvicorn in a subprocess and uses an upstream model
server in this process that streams one chunk and then keeps the stream open.
So the generation cannot end before the client leaves, and the tokens it used
are known exactly. They are the estimated prompt tokens plus one completion
token, because the upstream backend counts each text chunk as one token when
the server reports no usage.

The bucket lives in the subprocess (memory://) or in Redis, and the test reads
the remaining budget through requests, so it runs with either storage. At
LLM_TOKENS_PER_MINUTE=1, a 429 has a Retry-After of 60 s per missing token,
rounded up, and the refill adds less than one token while the test runs
under a minute.
"""

import asyncio
import json
import os
import threading
import time
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Response
from fastapi.responses import JSONResponse, StreamingResponse

from app.llm.backend import Chat, Message
from app.llm.upstream import estimate_prompt_tokens
from tests.api_keys import API_KEY_HEADERS
from tests.llm.environment import MODEL_NAME, SYSTEM_PROMPT
from tests.llm.helpers import (
    GENERATE_URL,
    STREAM_URL,
    ServerProcess,
    chat_body,
    start_server,
)
from tests.llm.upstream_stub import CompletionRequest

# More text than the redactor holds back, so the first chunk reaches the client.
STREAMED_TEXT = "plain words without any number " * 8
# One text chunk without a usage report counts as one completion token.
STREAMED_TOKENS = 1
STREAM_MAX_TOKENS = 32
# The upstream ends the held stream after this long if its client stays connected.
HOLD_SECONDS = 60.0
# The server refills one token per minute (LLM_TOKENS_PER_MINUTE=1).
SECONDS_PER_MISSING_TOKEN = 60
WAIT_SECONDS = 10.0


def prompt_tokens() -> int:
    """Return the upstream backend's estimate for the prompt of chat_body()."""
    chat = Chat(
        model=MODEL_NAME,
        messages=(Message("system", SYSTEM_PROMPT), Message("user", "hello")),
        max_tokens=STREAM_MAX_TOKENS,
        temperature=0.0,
    )
    return estimate_prompt_tokens(chat)


class HoldingUpstream:
    """An OpenAI-compatible server that streams STREAMED_TEXT as one chunk and
    then keeps the response open. `stream_cancelled` is set when its client
    closes the held stream."""

    def __init__(self) -> None:
        self.stream_cancelled = threading.Event()
        self.app = FastAPI()
        self.app.post("/v1/chat/completions")(self.completions)

    async def completions(self, completion: CompletionRequest) -> Response:
        if completion.stream:
            return StreamingResponse(self.hold(), media_type="text/event-stream")
        message = {"role": "assistant", "content": "ok"}
        choice = {"index": 0, "message": message, "finish_reason": "stop"}
        usage = {"prompt_tokens": prompt_tokens(), "completion_tokens": 1}
        return JSONResponse({"choices": [choice], "usage": usage})

    async def hold(self) -> AsyncIterator[str]:
        chunk = {"choices": [{"index": 0, "delta": {"content": STREAMED_TEXT}}]}
        yield f"data: {json.dumps(chunk)}\n\n"
        try:
            await asyncio.sleep(HOLD_SECONDS)
        except asyncio.CancelledError:
            self.stream_cancelled.set()
            raise


@pytest.fixture(scope="module")
def upstream() -> Iterator[tuple[str, HoldingUpstream]]:
    """Serve a HoldingUpstream on a free port of 127.0.0.1 and yield its base
    URL and the server."""
    holding = HoldingUpstream()
    config = uvicorn.Config(
        holding.app,
        host="127.0.0.1",
        port=0,
        log_level="warning",
        timeout_graceful_shutdown=5,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + WAIT_SECONDS
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    if not server.started:
        raise RuntimeError("The holding upstream server did not start")
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/v1", holding
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@pytest.fixture(scope="module")
def budget() -> int:
    """Return a token budget that leaves exactly one stream request's
    reservation once the disconnected stream is settled."""
    return prompt_tokens() + STREAMED_TOKENS + prompt_tokens() + STREAM_MAX_TOKENS


@pytest.fixture(scope="module")
def server(
    upstream: tuple[str, HoldingUpstream],
    budget: int,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[ServerProcess]:
    upstream_url, _ = upstream
    environment = {
        **os.environ,
        "ALLOWED_HOSTS": "127.0.0.1",
        "DEFAULT_RATE_LIMIT": "1000/minute",
        "LLM_BACKEND": "openai",
        "LLM_UPSTREAM_URL": upstream_url,
        "LLM_TOKEN_BUDGET": str(budget),
        "LLM_TOKENS_PER_MINUTE": "1",
        "LOG_LEVEL": "WARNING",
    }
    log_path = tmp_path_factory.mktemp("disconnect") / "server.log"
    started = start_server(environment, log_path)
    try:
        started.wait_until_live()
        yield started
    finally:
        started.stop()


def read_first_event_then_disconnect(base_url: str) -> tuple[int, str]:
    """Open the stream, read up to its first data line and close the
    connection. Returns the status code and that line."""
    url = f"{base_url}{STREAM_URL}"
    body = chat_body(max_tokens=STREAM_MAX_TOKENS, temperature=0)
    with (
        httpx.Client(timeout=WAIT_SECONDS) as client,
        client.stream("POST", url, json=body, headers=API_KEY_HEADERS) as response,
    ):
        for line in response.iter_lines():
            if line.startswith("data:"):
                return response.status_code, line
        return response.status_code, ""


def generate(url: str, max_tokens: int) -> httpx.Response:
    body = chat_body(max_tokens=max_tokens, temperature=0)
    return httpx.post(
        f"{url}{GENERATE_URL}", json=body, headers=API_KEY_HEADERS, timeout=WAIT_SECONDS
    )


def wait_for_settlement(url: str, max_tokens: int) -> httpx.Response:
    """Repeat a request that costs one token more than the budget left after
    the refund until its 429 reports at most one missing token, or until
    WAIT_SECONDS pass. The refund lands after the client has gone, and no
    response reports when."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        response = generate(url, max_tokens)
        if response.status_code != 429:
            return response
        retry_after = int(response.headers["Retry-After"])
        if retry_after <= SECONDS_PER_MISSING_TOKEN or time.monotonic() > deadline:
            return response
        time.sleep(0.1)


def test_disconnect_refunds_unused_tokens(
    server: ServerProcess, upstream: tuple[str, HoldingUpstream], budget: int
) -> None:
    _, holding = upstream
    status, first_line = read_first_event_then_disconnect(server.url)
    assert status == 200
    assert first_line.startswith("data:")
    text = json.loads(first_line.removeprefix("data:"))["text"]
    assert text
    assert STREAMED_TEXT.startswith(text)

    # The application closes its upstream request when the client leaves.
    assert holding.stream_cancelled.wait(WAIT_SECONDS), (
        f"The upstream stream stayed open {WAIT_SECONDS} s after the client left"
    )

    used = prompt_tokens() + STREAMED_TOKENS
    remaining = budget - used
    # A request with max_tokens = remaining - prompt + 1 needs one token more
    # than remains, so it gets 429 with Retry-After of at most 60 s. Without the
    # refund, STREAM_MAX_TOKENS - STREAMED_TOKENS + 1 tokens would be missing.
    over_by_one = wait_for_settlement(server.url, remaining - prompt_tokens() + 1)
    assert over_by_one.status_code == 429, "More tokens came back than were unused"
    retry_after = int(over_by_one.headers["Retry-After"])
    assert retry_after <= SECONDS_PER_MISSING_TOKEN, (
        f"{retry_after // SECONDS_PER_MISSING_TOKEN} unused tokens did not come back"
    )

    # A request that needs exactly the remaining tokens is served.
    exact = generate(server.url, remaining - prompt_tokens())
    assert exact.status_code == 200
