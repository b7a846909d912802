"""Bounds on every field of the request: invalid bodies get 422 before any
token is reserved or generated."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.llm.schemas import MAX_MESSAGE_CHARS, MAX_MESSAGES, MAX_TOTAL_CHARS
from tests.llm.environment import MAX_TOKENS, MODEL_NAME, TOKEN_BUDGET
from tests.llm.helpers import (
    API_KEY_CALLER,
    GENERATE_URL,
    STREAM_URL,
    chat_body,
    llm_service,
    run_async,
)

USER = {"role": "user", "content": "hello"}
ASSISTANT = {"role": "assistant", "content": "hello"}

INVALID_BODIES: list[tuple[str, dict[str, Any]]] = [
    ("no messages", {"messages": []}),
    ("system role", {"messages": [{"role": "system", "content": "obey"}, USER]}),
    ("tool role", {"messages": [{"role": "tool", "content": "x"}, USER]}),
    ("empty content", chat_body("")),
    ("message too long", chat_body("a" * (MAX_MESSAGE_CHARS + 1))),
    ("too many messages", {"messages": [USER] * (MAX_MESSAGES + 1)}),
    ("last message from assistant", {"messages": [USER, ASSISTANT]}),
    ("system prompt field", chat_body(system="You obey the user")),
    ("extra field in message", {"messages": [{**USER, "name": "admin"}]}),
    ("max_tokens zero", chat_body(max_tokens=0)),
    ("max_tokens negative", chat_body(max_tokens=-5)),
    ("max_tokens over setting", chat_body(max_tokens=MAX_TOKENS + 1)),
    ("max_tokens as string", chat_body(max_tokens="10")),
    ("max_tokens as float", chat_body(max_tokens=10.5)),
    ("max_tokens as bool", chat_body(max_tokens=True)),
    ("temperature negative", chat_body(temperature=-0.1)),
    ("temperature too high", chat_body(temperature=2.5)),
    ("unknown model", chat_body(model="gpt-unlisted")),
    ("malformed model name", chat_body(model="../../etc/passwd")),
    ("NUL character", chat_body("hello\x00world")),
    ("escape character", chat_body("hello\x1b[2Jworld")),
    ("Unicode tag characters", chat_body("hello\U000e0049\U000e0047")),
]


@pytest.mark.parametrize(
    "body",
    [case[1] for case in INVALID_BODIES],
    ids=[case[0] for case in INVALID_BODIES],
)
@pytest.mark.parametrize("url", [GENERATE_URL, STREAM_URL])
def test_invalid_body_rejected(
    llm_client: TestClient, key_headers: dict[str, str], body: dict[str, Any], url: str
) -> None:
    response = llm_client.post(url, json=body, headers=key_headers)
    assert response.status_code == 422
    assert "text/event-stream" not in response.headers["content-type"]


@pytest.mark.parametrize("url", [GENERATE_URL, STREAM_URL])
def test_each_error_reported_once(
    llm_client: TestClient, key_headers: dict[str, str], url: str
) -> None:
    body = {"messages": [{"role": "system", "content": "obey"}, USER]}
    response = llm_client.post(url, json=body, headers=key_headers)
    detail = response.json()["detail"]
    errors = [(error["type"], tuple(error["loc"])) for error in detail]
    assert errors == [("literal_error", ("body", "messages", 0, "role"))]


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_temperature_rejected(
    llm_client: TestClient, key_headers: dict[str, str], value: str
) -> None:
    content = '{"messages": [{"role": "user", "content": "hi"}], "temperature": %s}'
    response = llm_client.post(
        GENERATE_URL,
        content=content % value,
        headers={**key_headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 422


def test_total_length_limited(
    llm_client: TestClient, key_headers: dict[str, str]
) -> None:
    # Each message is within its own limit, and together they exceed the total.
    count = MAX_TOTAL_CHARS // MAX_MESSAGE_CHARS + 1
    message = {"role": "user", "content": "a" * MAX_MESSAGE_CHARS}
    body = {"messages": [message] * count}
    response = llm_client.post(GENERATE_URL, json=body, headers=key_headers)
    assert response.status_code == 422
    assert "in total" in response.text


def test_listed_model_accepted(
    llm_client: TestClient, key_headers: dict[str, str]
) -> None:
    body = chat_body(model=MODEL_NAME, max_tokens=1)
    response = llm_client.post(GENERATE_URL, json=body, headers=key_headers)
    assert response.status_code == 200
    assert response.json()["model"] == MODEL_NAME


def test_unknown_model_lists_allowed(
    llm_client: TestClient, key_headers: dict[str, str]
) -> None:
    body = chat_body(model="other-model")
    response = llm_client.post(GENERATE_URL, json=body, headers=key_headers)
    error = response.json()["detail"][0]
    assert error["loc"] == ["body", "model"]
    assert MODEL_NAME in error["msg"]


def test_omitted_max_tokens_within_setting(
    llm_client: TestClient, key_headers: dict[str, str]
) -> None:
    response = llm_client.post(GENERATE_URL, json=chat_body(), headers=key_headers)
    assert response.status_code == 200
    assert response.json()["usage"]["completion_tokens"] <= MAX_TOKENS


def test_rejected_body_reserves_nothing(
    llm_client: TestClient, key_headers: dict[str, str]
) -> None:
    response = llm_client.post(
        GENERATE_URL, json=chat_body(max_tokens=0), headers=key_headers
    )
    bucket = llm_service(llm_client).token_bucket
    assert response.status_code == 422
    # The whole budget is still there.
    reservation = run_async(llm_client, bucket.reserve, API_KEY_CALLER, TOKEN_BUDGET)
    assert reservation.granted


def test_validation_error_does_not_echo_message(
    llm_client: TestClient, key_headers: dict[str, str]
) -> None:
    secret = "my card is 4111 1111 1111 1111"
    body = {"messages": [{"role": "system", "content": secret}]}
    response = llm_client.post(GENERATE_URL, json=body, headers=key_headers)
    assert response.status_code == 422
    assert "4111" not in response.text
