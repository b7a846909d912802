"""Settings of authentication: the secret key and the password hashing cost."""

import os
from typing import Any

import pytest
from pydantic import ValidationError

from app.core.config import Settings

STRONG_SECRET = "k3J9x-Qp7vLm2Rz8Tw4Yb6Nc1Hd5Fg0Sa-Ue3Io9Pl7Kj2Mn"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hide the suite's own settings, so each test reads only the values it passes."""
    for name in Settings.model_fields:
        if name in os.environ:
            monkeypatch.delenv(name)


def build(**overrides: Any) -> Settings:
    values: dict[str, Any] = {"ENVIRONMENT": "production", "SECRET_KEY": STRONG_SECRET}
    values.update(overrides)
    return Settings(_env_file=None, **values)


def test_missing_secret_rejected() -> None:
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        Settings(_env_file=None)


@pytest.mark.parametrize("environment", ["production", "test"])
def test_short_secret_rejected(environment: str) -> None:
    with pytest.raises(ValidationError, match="at least 32 bytes"):
        build(ENVIRONMENT=environment, SECRET_KEY="too-short-key")


@pytest.mark.parametrize(
    "secret",
    [
        "changeme-changeme-changeme-changeme",
        "CHANGE_ME_TO_A_RANDOM_VALUE_OF_32_BYTES",
        "your-secret-key-here-please-replace-it",
        "supersecretkeysupersecretkeysupersecret",
    ],
)
def test_placeholder_secret_rejected(secret: str) -> None:
    with pytest.raises(ValidationError, match="placeholder"):
        build(SECRET_KEY=secret)


@pytest.mark.parametrize(
    "secret",
    [
        "a" * 42,
        "ab" * 20,
        "password1234567890password1234567890",
        "0123456789abcdef0123456789abcdef",
        "x7x7x7x7x7x7x7x7x7x7x7x7x7x7x7x7x7",
        "aaaabbbbccccddddeeeeffffgggghhhh",
    ],
)
def test_weak_secret_rejected(secret: str) -> None:
    with pytest.raises(ValidationError, match="repeats a pattern or uses too few"):
        build(SECRET_KEY=secret)


def test_hex_secret_accepted() -> None:
    secret = "9f2c4e7a1b8d3f6e0a5c9b2d7e4f1a8c3b6d9e2f5a8c1b4d7e0f3a6c9b2e5d81"
    assert build(SECRET_KEY=secret).SECRET_KEY.get_secret_value() == secret


def test_secret_not_shown_in_error() -> None:
    secret = "changeme-but-keep-this-out-of-logs-12345"
    with pytest.raises(ValidationError) as error:
        build(SECRET_KEY=secret)
    assert secret not in str(error.value)


def test_empty_secret_rejected_in_development() -> None:
    with pytest.raises(ValidationError, match="must not be empty"):
        build(ENVIRONMENT="development", SECRET_KEY="")


def test_development_accepts_short_secret() -> None:
    settings = build(ENVIRONMENT="development", SECRET_KEY="dev")
    assert settings.SECRET_KEY.get_secret_value() == "dev"


def test_weak_argon2_rejected_outside_tests() -> None:
    with pytest.raises(ValidationError, match="ARGON2_MEMORY_COST"):
        build(ARGON2_MEMORY_COST=1024)
    with pytest.raises(ValidationError, match="ARGON2_TIME_COST"):
        build(ARGON2_TIME_COST=1)
