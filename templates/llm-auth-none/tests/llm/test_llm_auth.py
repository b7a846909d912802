"""Access to the LLM routes: only clients with an API key whose digest is
configured."""

import logging

import pytest
from fastapi.testclient import TestClient

from tests.api_keys import API_KEY, OTHER_API_KEY
from tests.llm.helpers import GENERATE_URL, STREAM_URL, chat_body


@pytest.mark.parametrize("url", [GENERATE_URL, STREAM_URL])
def test_missing_api_key_rejected(llm_client: TestClient, url: str) -> None:
    response = llm_client.post(url, json=chat_body())
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "APIKey"
    assert "X-API-Key" in response.json()["detail"]


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


def test_bearer_token_not_accepted(llm_client: TestClient) -> None:
    headers = {"Authorization": f"Bearer {API_KEY}"}
    response = llm_client.post(GENERATE_URL, json=chat_body(), headers=headers)
    assert response.status_code == 401


def test_unauthenticated_body_not_validated(llm_client: TestClient) -> None:
    response = llm_client.post(GENERATE_URL, json={"messages": []})
    assert response.status_code == 401


def test_other_api_key_accepted(llm_client: TestClient) -> None:
    headers = {"X-API-Key": OTHER_API_KEY}
    response = llm_client.post(GENERATE_URL, json=chat_body(), headers=headers)
    assert response.status_code == 200
