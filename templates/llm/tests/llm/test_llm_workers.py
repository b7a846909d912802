"""Two uvicorn worker processes share one token budget through Redis."""

import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from fastapi.testclient import TestClient

from app.llm.backend import Chat, Message
from tests.api_keys import API_KEY_HEADERS
from tests.llm.environment import MODEL_NAME, SYSTEM_PROMPT
from tests.llm.helpers import GENERATE_URL, chat_body, llm_service, start_server

REDIS_URI = os.environ.get("TEST_RATE_LIMIT_STORAGE_URI", "")
pytestmark = pytest.mark.skipif(
    not REDIS_URI.startswith("redis"),
    reason="Worker tests need TEST_RATE_LIMIT_STORAGE_URI=redis://...",
)

# max_tokens below the tiny model's reply length, so every request uses all of
# its reservation and nothing is refunded.
MAX_TOKENS = 3
ALLOWED_REQUESTS = 5
CONCURRENT_REQUESTS = 12


def request_cost(llm_client: TestClient) -> int:
    chat = Chat(
        model=MODEL_NAME,
        messages=(Message("system", SYSTEM_PROMPT), Message("user", "hello")),
        max_tokens=MAX_TOKENS,
        temperature=0.0,
    )
    return llm_service(llm_client).backend.prepare(chat).prompt_tokens + MAX_TOKENS


@pytest.fixture(scope="module")
def workers(
    llm_client: TestClient, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[list[str]]:
    """Start two uvicorn processes with a budget for ALLOWED_REQUESTS requests
    and no noticeable refill, and yield their base URLs."""
    environment = {
        **os.environ,
        "ALLOWED_HOSTS": "127.0.0.1",
        "DEFAULT_RATE_LIMIT": "1000/minute",
        "LLM_TOKEN_BUDGET": str(ALLOWED_REQUESTS * request_cost(llm_client)),
        "LLM_TOKENS_PER_MINUTE": "1",
        "LOG_LEVEL": "WARNING",
    }
    logs = tmp_path_factory.mktemp("workers")
    servers = [
        start_server(environment, logs / f"worker-{index}.log") for index in range(2)
    ]
    try:
        for server in servers:
            server.wait_until_live()
        yield [server.url for server in servers]
    finally:
        for server in servers:
            server.stop()


def generate(url: str) -> int:
    response = httpx.post(
        f"{url}{GENERATE_URL}",
        json=chat_body(max_tokens=MAX_TOKENS, temperature=0),
        headers=API_KEY_HEADERS,
        timeout=60,
    )
    return response.status_code


def test_concurrent_requests_share_one_budget(workers: list[str]) -> None:
    targets = [workers[index % 2] for index in range(CONCURRENT_REQUESTS)]
    with ThreadPoolExecutor(max_workers=CONCURRENT_REQUESTS) as pool:
        statuses = list(pool.map(generate, targets))
    assert statuses.count(200) == ALLOWED_REQUESTS
    assert statuses.count(429) == CONCURRENT_REQUESTS - ALLOWED_REQUESTS


def test_budget_spent_on_one_worker_applies_to_other(workers: list[str]) -> None:
    first = [generate(workers[0]) for _ in range(ALLOWED_REQUESTS)]
    assert first == [200] * ALLOWED_REQUESTS
    assert generate(workers[1]) == 429
