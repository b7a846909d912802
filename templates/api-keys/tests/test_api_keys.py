"""API keys: digests in the settings, constant-time matching, and the
dependency that guards routes for service clients."""

import hashlib
import hmac
import logging
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import ValidationError

from app.core import api_keys
from app.core.api_keys import APIKeyIdDep, hash_api_key, match_api_key
from app.core.config import Settings
from tests.api_keys import API_KEY, OTHER_API_KEY


def build(settings: Settings, **overrides: Any) -> Settings:
    """Validate the suite's settings again with some values changed."""
    values = {**settings.model_dump(), **overrides}
    return Settings(_env_file=None, **values)


@pytest.fixture
def guarded_client(settings: Settings) -> TestClient:
    """A client of a small app with one route behind the API key dependency."""
    app = FastAPI()
    app.state.settings = settings

    @app.get("/guarded")
    def guarded(key_id: APIKeyIdDep) -> dict[str, str]:
        return {"key_id": key_id}

    return TestClient(app)


def test_configured_key_accepted(guarded_client: TestClient) -> None:
    response = guarded_client.get("/guarded", headers={"X-API-Key": OTHER_API_KEY})
    assert response.status_code == 200
    assert response.json() == {"key_id": hash_api_key(OTHER_API_KEY)[:16]}


def test_missing_key_rejected(guarded_client: TestClient) -> None:
    response = guarded_client.get("/guarded")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "APIKey"
    assert "X-API-Key" in response.json()["detail"]


def test_invalid_key_rejected_and_logged(
    guarded_client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    wrong_key = "wrong-" + API_KEY
    with caplog.at_level(logging.WARNING, logger="app.core.api_keys"):
        response = guarded_client.get("/guarded", headers={"X-API-Key": wrong_key})
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid API key"}
    assert response.headers["WWW-Authenticate"] == "APIKey"
    assert "Rejected an invalid API key" in caplog.text
    assert wrong_key not in caplog.text


def test_bearer_token_not_taken_as_key(guarded_client: TestClient) -> None:
    headers = {"Authorization": f"Bearer {API_KEY}"}
    response = guarded_client.get("/guarded", headers=headers)
    assert response.status_code == 401


def test_settings_contain_digests_only(settings: Settings) -> None:
    assert hash_api_key(API_KEY) in settings.API_KEY_HASHES
    assert API_KEY not in settings.model_dump_json()


def test_digest_normalized(settings: Settings) -> None:
    digest = hash_api_key("some key").upper()
    digests = build(settings, API_KEY_HASHES=digest).API_KEY_HASHES
    assert digests == [digest.lower()]


@pytest.mark.parametrize("value", ["plain-api-key", "abc123", "0" * 63])
def test_hashes_must_be_digests(settings: Settings, value: str) -> None:
    with pytest.raises(ValidationError, match="SHA-256 hex digests"):
        build(settings, API_KEY_HASHES=value)


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
