"""Token budgets of the LLM routes: reserve, refund, 429 and refill."""

import time

import pytest
from fastapi.testclient import TestClient

from app.core.config import Settings
from app.llm.backend import Chat, Message
from app.main import create_app
from tests.api_keys import OTHER_API_KEY
from tests.llm.environment import MODEL_NAME, SYSTEM_PROMPT, TOKEN_BUDGET
from tests.llm.helpers import (
    API_KEY_CALLER,
    GENERATE_URL,
    STREAM_URL,
    chat_body,
    llm_service,
    run_async,
)


def prompt_tokens(client: TestClient, text: str = "hello") -> int:
    chat = Chat(
        model=MODEL_NAME,
        messages=(Message("system", SYSTEM_PROMPT), Message("user", text)),
        max_tokens=1,
        temperature=0.0,
    )
    return llm_service(client).backend.prepare(chat).prompt_tokens


def drain(client: TestClient, caller: str, leave: int) -> None:
    """Spend the caller's budget down to `leave` tokens."""
    bucket = llm_service(client).token_bucket
    assert run_async(client, bucket.reserve, caller, TOKEN_BUDGET - leave).granted


@pytest.mark.parametrize("url", [GENERATE_URL, STREAM_URL])
def test_spent_budget_gets_429(
    llm_client: TestClient, key_headers: dict[str, str], url: str
) -> None:
    body = chat_body(max_tokens=10)
    drain(llm_client, API_KEY_CALLER, leave=prompt_tokens(llm_client) + 5)
    response = llm_client.post(url, json=body, headers=key_headers)
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) >= 1
    assert response.json() == {"detail": "Token budget exhausted. Try again later"}


def test_request_within_budget_served(
    llm_client: TestClient, key_headers: dict[str, str]
) -> None:
    body = chat_body(max_tokens=10)
    drain(llm_client, API_KEY_CALLER, leave=prompt_tokens(llm_client) + 10)
    response = llm_client.post(GENERATE_URL, json=body, headers=key_headers)
    assert response.status_code == 200


def test_budget_is_per_caller(
    llm_client: TestClient, key_headers: dict[str, str]
) -> None:
    drain(llm_client, API_KEY_CALLER, leave=0)
    other = {"X-API-Key": OTHER_API_KEY}
    assert (
        llm_client.post(GENERATE_URL, json=chat_body(), headers=key_headers).status_code
        == 429
    )
    assert (
        llm_client.post(GENERATE_URL, json=chat_body(), headers=other).status_code
        == 200
    )


@pytest.mark.parametrize("url", [GENERATE_URL, STREAM_URL])
def test_unused_tokens_refunded(
    llm_client: TestClient, key_headers: dict[str, str], url: str
) -> None:
    # 64 tokens are reserved and the reply uses 10, so 54 come back.
    body = chat_body(max_tokens=64)
    used = prompt_tokens(llm_client) + 10
    response = llm_client.post(url, json=body, headers=key_headers)
    bucket = llm_service(llm_client).token_bucket
    assert response.status_code == 200
    # The slow refill of the test settings adds at most a few tokens.
    assert not run_async(
        llm_client, bucket.reserve, API_KEY_CALLER, TOKEN_BUDGET - used + 5
    ).granted
    assert run_async(
        llm_client, bucket.reserve, API_KEY_CALLER, TOKEN_BUDGET - used
    ).granted


def test_request_over_capacity_gets_422(
    llm_client: TestClient, key_headers: dict[str, str], settings: Settings
) -> None:
    small = settings.model_copy(update={"LLM_TOKEN_BUDGET": 20})
    with TestClient(create_app(small)) as client:
        response = client.post(
            GENERATE_URL, json=chat_body(max_tokens=10), headers=key_headers
        )
    assert response.status_code == 422
    assert "token budget of 20" in response.json()["detail"]


def test_prompt_over_context_gets_422(
    llm_client: TestClient, key_headers: dict[str, str]
) -> None:
    # The tiny model's context is 256 tokens.
    body = chat_body(" ".join(["hello"] * 250), max_tokens=10)
    response = llm_client.post(GENERATE_URL, json=body, headers=key_headers)
    assert response.status_code == 422
    assert "context of 256 tokens" in response.json()["detail"]


def test_budget_refills_over_time(
    llm_client: TestClient, key_headers: dict[str, str], settings: Settings
) -> None:
    # Room for one request, refilled in 1.5 seconds.
    cost = prompt_tokens(llm_client) + 2
    refilling = settings.model_copy(
        update={"LLM_TOKEN_BUDGET": cost, "LLM_TOKENS_PER_MINUTE": cost * 40}
    )
    body = chat_body(max_tokens=2)
    with TestClient(create_app(refilling)) as client:
        first = client.post(GENERATE_URL, json=body, headers=key_headers)
        second = client.post(GENERATE_URL, json=body, headers=key_headers)
        time.sleep(int(second.headers["Retry-After"]))
        third = client.post(GENERATE_URL, json=body, headers=key_headers)
    assert first.status_code == 200
    assert second.status_code == 429
    assert 1 <= int(second.headers["Retry-After"]) <= 2
    assert third.status_code == 200
