"""Access to the LLM routes: users with a bearer token, and clients with an API
key whose digest is configured."""

import logging

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.models import User
from tests.api_keys import API_KEY
from tests.llm.environment import TOKEN_BUDGET
from tests.llm.helpers import (
    API_KEY_CALLER,
    GENERATE_URL,
    STREAM_URL,
    chat_body,
    llm_service,
    run_async,
)


@pytest.mark.parametrize("url", [GENERATE_URL, STREAM_URL])
def test_anonymous_request_rejected(llm_client: TestClient, url: str) -> None:
    response = llm_client.post(url, json=chat_body())
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("url", [GENERATE_URL, STREAM_URL])
def test_invalid_api_key_rejected(
    llm_client: TestClient, url: str, caplog: pytest.LogCaptureFixture
) -> None:
    wrong_key = "wrong-" + API_KEY
    with caplog.at_level(logging.WARNING, logger="app.core.api_keys"):
        response = llm_client.post(
            url, json=chat_body(), headers={"X-API-Key": wrong_key}
        )
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid API key"}
    assert response.headers["WWW-Authenticate"] == "APIKey"
    assert "Rejected an invalid API key" in caplog.text
    assert wrong_key not in caplog.text


def test_unauthenticated_body_not_validated(llm_client: TestClient) -> None:
    response = llm_client.post(GENERATE_URL, json={"messages": []})
    assert response.status_code == 401


def test_bearer_token_accepted(
    llm_client: TestClient, alice_headers: dict[str, str]
) -> None:
    response = llm_client.post(GENERATE_URL, json=chat_body(), headers=alice_headers)
    assert response.status_code == 200


def test_invalid_bearer_token_rejected(llm_client: TestClient) -> None:
    headers = {"Authorization": "Bearer not-a-token"}
    response = llm_client.post(GENERATE_URL, json=chat_body(), headers=headers)
    assert response.status_code == 401


def test_inactive_user_rejected(
    llm_client: TestClient,
    alice: User,
    alice_headers: dict[str, str],
    session: Session,
) -> None:
    alice.is_active = False
    session.commit()
    response = llm_client.post(GENERATE_URL, json=chat_body(), headers=alice_headers)
    assert response.status_code == 401


def test_user_budget_keyed_by_user_id(
    llm_client: TestClient, alice: User, alice_headers: dict[str, str]
) -> None:
    bucket = llm_service(llm_client).token_bucket
    run_async(llm_client, bucket.reserve, f"user:{alice.id}", TOKEN_BUDGET)
    response = llm_client.post(GENERATE_URL, json=chat_body(), headers=alice_headers)
    assert response.status_code == 429


def test_api_key_decides_when_both_sent(
    llm_client: TestClient, alice_headers: dict[str, str], key_headers: dict[str, str]
) -> None:
    bucket = llm_service(llm_client).token_bucket
    run_async(llm_client, bucket.reserve, API_KEY_CALLER, TOKEN_BUDGET)
    headers = {**alice_headers, **key_headers}
    response = llm_client.post(GENERATE_URL, json=chat_body(), headers=headers)
    assert response.status_code == 429
