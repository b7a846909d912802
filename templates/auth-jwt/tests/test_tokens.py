"""Access tokens that are forged, expired or incomplete get 401."""

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.core.config import Settings
from app.models import User

ME = "/api/v1/users/me"
OTHER_KEY = "an-entirely-different-signing-key-of-48-bytes-xyz"


def claims_for(user: User, settings: Settings, **changes: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "sub": str(user.id),
        "iat": now,
        "exp": now + timedelta(minutes=5),
        "aud": settings.JWT_AUDIENCE,
        "iss": settings.JWT_ISSUER,
    }
    claims.update(changes)
    return {name: value for name, value in claims.items() if value is not None}


def sign(claims: dict[str, Any], key: str, algorithm: str = "HS256") -> str:
    return jwt.encode(claims, key, algorithm=algorithm)


def b64(data: dict[str, Any]) -> str:
    raw = json.dumps(data, default=str).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unsigned_token(claims: dict[str, Any]) -> str:
    payload = {
        name: int(value.timestamp()) if isinstance(value, datetime) else value
        for name, value in claims.items()
    }
    return f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(payload)}."


def assert_rejected(client: TestClient, token: str) -> None:
    response = client.get(ME, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.json() == {"detail": "Could not validate credentials"}


def test_valid_token_accepted(
    client: TestClient, alice: User, settings: Settings
) -> None:
    key = settings.SECRET_KEY.get_secret_value()
    token = sign(claims_for(alice, settings), key)
    response = client.get(ME, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200


def test_missing_token(client: TestClient) -> None:
    response = client.get(ME)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_tampered_payload(
    client: TestClient, alice: User, bob: User, settings: Settings
) -> None:
    key = settings.SECRET_KEY.get_secret_value()
    header, _payload, signature = sign(claims_for(bob, settings), key).split(".")
    claims = claims_for(alice, settings)
    payload = b64({**claims, "iat": 0, "exp": int(claims["exp"].timestamp())})
    assert_rejected(client, f"{header}.{payload}.{signature}")


def test_forged_signature(client: TestClient, alice: User, settings: Settings) -> None:
    key = settings.SECRET_KEY.get_secret_value()
    header, payload, signature = sign(claims_for(alice, settings), key).split(".")
    forged = "A" * len(signature)
    assert_rejected(client, f"{header}.{payload}.{forged}")


def test_wrong_key(client: TestClient, alice: User, settings: Settings) -> None:
    assert_rejected(client, sign(claims_for(alice, settings), OTHER_KEY))


def test_alg_none(client: TestClient, alice: User, settings: Settings) -> None:
    assert_rejected(client, unsigned_token(claims_for(alice, settings)))


def test_other_algorithm(client: TestClient, alice: User, settings: Settings) -> None:
    key = settings.SECRET_KEY.get_secret_value()
    assert_rejected(client, sign(claims_for(alice, settings), key, "HS512"))


def test_expired(client: TestClient, alice: User, settings: Settings) -> None:
    past = datetime.now(UTC) - timedelta(hours=1)
    claims = claims_for(alice, settings, iat=past, exp=past + timedelta(minutes=5))
    assert_rejected(client, sign(claims, settings.SECRET_KEY.get_secret_value()))


@pytest.mark.parametrize(
    "changes",
    [
        {"aud": "another-service"},
        {"aud": ["another-service", "secure-fastapi-service"]},
        {"iss": "https://evil.example"},
        {"sub": None},
        {"exp": None},
        {"iat": None},
        {"aud": None},
        {"iss": None},
        {"sub": "not-a-uuid"},
        {"sub": str(uuid.uuid4())},
    ],
    ids=[
        "wrong-audience",
        "audience-list",
        "wrong-issuer",
        "missing-sub",
        "missing-exp",
        "missing-iat",
        "missing-aud",
        "missing-iss",
        "non-uuid-sub",
        "unknown-user",
    ],
)
def test_bad_claims(
    client: TestClient, alice: User, settings: Settings, changes: dict[str, Any]
) -> None:
    claims = claims_for(alice, settings, **changes)
    assert_rejected(client, sign(claims, settings.SECRET_KEY.get_secret_value()))


def test_garbage_token(client: TestClient) -> None:
    assert_rejected(client, "not.a.jwt")


def test_inactive_user_token(
    client: TestClient, alice: User, session: Session, settings: Settings
) -> None:
    alice.is_active = False
    session.commit()
    assert_rejected(
        client,
        sign(claims_for(alice, settings), settings.SECRET_KEY.get_secret_value()),
    )
