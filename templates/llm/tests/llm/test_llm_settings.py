"""Settings of the LLM feature reject unsafe or inconsistent values."""

from typing import Any

import pytest
from pydantic import ValidationError

from app.core.config import Settings


def build(settings: Settings, **overrides: Any) -> Settings:
    """Validate the suite's settings again with some values changed."""
    values = {**settings.model_dump(), **overrides}
    return Settings(_env_file=None, **values)


def test_suite_settings_valid(settings: Settings) -> None:
    assert build(settings).LLM_BACKEND == "local"


def test_openai_backend_needs_url(settings: Settings) -> None:
    with pytest.raises(ValidationError, match="needs LLM_UPSTREAM_URL"):
        build(settings, LLM_BACKEND="openai", LLM_UPSTREAM_URL=None)


@pytest.mark.parametrize(
    "url",
    [
        "ftp://models.internal/v1",
        "models.internal:8000",
        "http://user:secret@models.internal/v1",
        "http://models.internal/v1?key=secret",
    ],
)
def test_invalid_upstream_url_rejected(settings: Settings, url: str) -> None:
    with pytest.raises(ValidationError, match="LLM_UPSTREAM_URL"):
        build(settings, LLM_BACKEND="openai", LLM_UPSTREAM_URL=url)


def test_upstream_url_accepted(settings: Settings) -> None:
    url = "http://127.0.0.1:8000/v1"
    configured = build(settings, LLM_BACKEND="openai", LLM_UPSTREAM_URL=url)
    upstream_url = configured.LLM_UPSTREAM_URL
    assert upstream_url == url


def test_local_backend_serves_one_name(settings: Settings) -> None:
    with pytest.raises(ValidationError, match="exactly one name"):
        build(settings, LLM_MODELS="first,second")


@pytest.mark.parametrize("name", ["", "bad name", "../escape", "x" * 65])
def test_invalid_model_name_rejected(settings: Settings, name: str) -> None:
    with pytest.raises(ValidationError, match="LLM_MODELS"):
        build(settings, LLM_MODELS=[name])


def test_unbounded_redaction_pattern_rejected(settings: Settings) -> None:
    with pytest.raises(ValidationError, match="LLM_REDACT_PATTERNS"):
        build(settings, LLM_REDACT_PATTERNS=r"token-\S+")


@pytest.mark.parametrize("revision", ["main", "v1.0", "0123abc"])
def test_revision_must_be_commit_hash(settings: Settings, revision: str) -> None:
    with pytest.raises(ValidationError, match="LLM_MODEL_REVISION"):
        build(settings, LLM_MODEL_REVISION=revision)


def test_upstream_key_hidden_in_errors(settings: Settings) -> None:
    secret = "sk-upstream-secret-value"
    with pytest.raises(ValidationError) as error:
        build(settings, LLM_UPSTREAM_API_KEY=secret, LLM_MAX_TOKENS=0)
    assert secret not in str(error.value)
