"""Two uvicorn worker processes share one token budget through Redis."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from app.llm.backend import Chat, Message
from tests.llm.environment import API_KEY, MODEL_NAME, SYSTEM_PROMPT
from tests.llm.helpers import GENERATE_URL, chat_body, llm_service

REDIS_URI = os.environ.get("TEST_RATE_LIMIT_STORAGE_URI", "")
pytestmark = pytest.mark.skipif(
    not REDIS_URI.startswith("redis"),
    reason="Worker tests need TEST_RATE_LIMIT_STORAGE_URI=redis://...",
)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# max_tokens below the tiny model's reply length, so every request uses all of
# its reservation and nothing is refunded.
MAX_TOKENS = 3
ALLOWED_REQUESTS = 5
CONCURRENT_REQUESTS = 12
STARTUP_SECONDS = 90


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def request_cost(llm_client: TestClient) -> int:
    chat = Chat(
        model=MODEL_NAME,
        messages=(Message("system", SYSTEM_PROMPT), Message("user", "hello")),
        max_tokens=MAX_TOKENS,
        temperature=0.0,
    )
    return llm_service(llm_client).backend.prepare(chat).prompt_tokens + MAX_TOKENS


def wait_until_live(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Worker at {url} exited with {process.returncode}")
        try:
            if httpx.get(f"{url}/api/v1/health/live").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"Worker at {url} did not start in {STARTUP_SECONDS} s")


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
    processes = []
    urls = []
    for index in range(2):
        port = free_port()
        command = [sys.executable, "-m", "uvicorn", "app.main:app"]
        command += ["--host", "127.0.0.1", "--port", str(port)]
        log = (logs / f"worker-{index}.log").open("wb")
        process = subprocess.Popen(  # noqa: S603 (fixed command, no shell)
            command, cwd=PROJECT_ROOT, env=environment, stdout=log, stderr=log
        )
        processes.append(process)
        urls.append(f"http://127.0.0.1:{port}")
    try:
        for url, process in zip(urls, processes, strict=True):
            wait_until_live(url, process)
        yield urls
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=30)


def generate(url: str) -> int:
    response = httpx.post(
        f"{url}{GENERATE_URL}",
        json=chat_body(max_tokens=MAX_TOKENS, temperature=0),
        headers={"X-API-Key": API_KEY},
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
