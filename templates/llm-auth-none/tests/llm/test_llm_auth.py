"""Access to the LLM routes: only clients with an API key whose digest is
configured."""

import hashlib
import hmac
import logging

import pytest
from fastapi.testclient import TestClient

from app.core.config import Settings
from app.llm import api_keys
from app.llm.api_keys import hash_api_key, match_api_key
from tests.llm.environment import API_KEY, OTHER_API_KEY
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
    with caplog.at_level(logging.WARNING, logger="app.llm"):
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
