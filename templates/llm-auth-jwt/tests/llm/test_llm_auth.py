"""Access to the LLM routes: users with a bearer token, and clients with an API
key whose digest is configured."""

import hashlib
import hmac
import logging

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.core.config import Settings
from app.llm import api_keys
from app.llm.api_keys import hash_api_key, match_api_key
from app.models import User
from tests.llm.environment import API_KEY, OTHER_API_KEY, TOKEN_BUDGET
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
    with caplog.at_level(logging.WARNING, logger="app.llm"):
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


def test_settings_contain_digests_only(settings: Settings) -> None:
    assert hash_api_key(API_KEY) in settings.LLM_API_KEY_HASHES
    assert API_KEY not in settings.model_dump_json()


def test_every_digest_compared(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    compare_digest = hmac.compare_digest

    def counting_compare(left: str, right: str) -> bool:
        calls.append(right)
        return compare_digest(left, right)

    monkeypatch.setattr(api_keys.hmac, "compare_digest", counting_compare)
    digests = [hash_api_key(API_KEY), hash_api_key(OTHER_API_KEY), "0" * 64]
    key_id = match_api_key(API_KEY, digests)
    assert key_id == hash_api_key(API_KEY)[:16]
    assert calls == digests


def test_unknown_key_matches_nothing() -> None:
    assert match_api_key("guess", [hash_api_key(API_KEY)]) is None


def test_key_command_prints_matching_digest(capsys: pytest.CaptureFixture[str]) -> None:
    api_keys.main()
    lines = capsys.readouterr().out.splitlines()
    key = lines[0].rsplit(" ", 1)[1]
    digest = lines[1].rsplit(" ", 1)[1]
    assert len(key) >= 43
    assert digest == hashlib.sha256(key.encode()).hexdigest()
