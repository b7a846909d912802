"""Registration and login."""

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.config import Settings
from app.core.security import build_password_hash
from app.models import User
from tests.helpers import HASH_PREFIX, PASSWORD

REGISTER = "/api/v1/auth/register"
TOKEN = "/api/v1/auth/token"


def register(client: TestClient, **body: object):
    payload = {"email": "carol@example.com", "password": PASSWORD, **body}
    return client.post(REGISTER, json=payload)


def login(client: TestClient, username: str, password: str):
    return client.post(TOKEN, data={"username": username, "password": password})


def test_register_returns_public_user(client: TestClient) -> None:
    response = register(client, full_name="Carol")
    body = response.json()
    assert response.status_code == 201
    assert body["email"] == "carol@example.com"
    assert body["full_name"] == "Carol"
    assert body["is_admin"] is False
    assert set(body) == {
        "id",
        "email",
        "full_name",
        "is_active",
        "is_admin",
        "created_at",
    }
    assert HASH_PREFIX not in response.text
    assert PASSWORD not in response.text


def test_register_normalizes_email_case(client: TestClient) -> None:
    response = register(client, email="Carol@Example.COM")
    assert response.status_code == 201
    assert response.json()["email"] == "carol@example.com"


def test_register_stores_argon2id_hash(client: TestClient, session: Session) -> None:
    register(client)
    user = session.scalars(select(User)).one()
    assert user.hashed_password.startswith("$argon2id$")


@pytest.mark.parametrize(
    "extra", [{"is_admin": True}, {"owner_id": "x"}, {"is_active": False}]
)
def test_register_rejects_extra_fields(client: TestClient, extra: dict) -> None:
    response = register(client, **extra)
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "extra_forbidden"


@pytest.mark.parametrize(
    "password",
    [
        "short",
        "passwordpassword",
        "abcdefghijklmnop",
        "aaaaaaaaaaaaaaaaaaaa",
        "carol-is-my-passphrase",
        "x" * 129,
    ],
)
def test_register_rejects_weak_password(client: TestClient, password: str) -> None:
    response = register(client, password=password)
    errors = response.json()["detail"]
    assert response.status_code == 422
    assert errors[0]["loc"] == ["body", "password"]
    assert password not in response.text


@pytest.mark.parametrize("email", ["not-an-email", "carol@", "@example.com", ""])
def test_register_rejects_bad_email(client: TestClient, email: str) -> None:
    response = register(client, email=email)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "email"]


def test_register_rejects_duplicate_email(client: TestClient) -> None:
    assert register(client).status_code == 201
    response = register(client, email="CAROL@example.com")
    assert response.status_code == 409


def test_validation_error_never_echoes_password(client: TestClient) -> None:
    secret = "Unique-Passphrase-That-Must-Not-Leak-77"
    response = register(client, email="bad", password=secret, is_admin=True)
    assert response.status_code == 422
    assert secret not in response.text
    for error in response.json()["detail"]:
        assert "input" not in error
        assert "ctx" not in error


def test_login_returns_bearer_token(client: TestClient, alice: User) -> None:
    response = login(client, "alice@example.com", PASSWORD)
    body = response.json()
    assert response.status_code == 200
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 15 * 60
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert HASH_PREFIX not in response.text
    me = client.get(
        "/api/v1/users/me", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert me.json()["id"] == str(alice.id)


def test_login_accepts_email_in_any_case(client: TestClient, alice: User) -> None:
    assert login(client, "ALICE@example.com", PASSWORD).status_code == 200


def test_login_failures_look_the_same(client: TestClient, alice: User) -> None:
    wrong_password = login(client, "alice@example.com", "wrong password entirely")
    unknown_user = login(client, "nobody@example.com", PASSWORD)
    assert wrong_password.status_code == unknown_user.status_code == 401
    assert wrong_password.json() == unknown_user.json()
    assert wrong_password.headers["WWW-Authenticate"] == "Bearer"
    assert unknown_user.headers["WWW-Authenticate"] == "Bearer"


def test_unknown_user_still_verifies_a_hash(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    monkeypatch.setattr(
        "app.crud.verify_dummy_password", lambda password, settings: calls.append("x")
    )
    login(client, "nobody@example.com", PASSWORD)
    assert calls == ["x"]


def test_inactive_user_cannot_log_in(
    client: TestClient, alice: User, session: Session
) -> None:
    alice.is_active = False
    session.commit()
    response = login(client, "alice@example.com", PASSWORD)
    assert response.status_code == 401
    assert response.json()["detail"] == "Incorrect email or password"


def test_login_rehashes_outdated_hash(
    client: TestClient, session: Session, settings: Settings, alice: User
) -> None:
    weaker = build_password_hash(1, 512, 1)
    alice.hashed_password = weaker.hash(PASSWORD)
    session.commit()
    old_hash = alice.hashed_password
    assert login(client, "alice@example.com", PASSWORD).status_code == 200
    session.refresh(alice)
    assert alice.hashed_password != old_hash
    assert f"m={settings.ARGON2_MEMORY_COST}," in alice.hashed_password


def test_login_rejects_missing_fields(client: TestClient) -> None:
    response = client.post(TOKEN, data={"username": "alice@example.com"})
    assert response.status_code == 422


def test_nul_character_rejected(client: TestClient) -> None:
    registered = register(client, full_name="Bob\x00")
    logged_in = login(client, "alice\x00@example.com", "any password")
    assert registered.status_code == 422
    assert logged_in.status_code == 422


def test_login_rate_limit_per_client(client: TestClient, alice: User) -> None:
    # LOGIN_RATE_LIMIT is 5/minute per client address in the tests. Distinct
    # accounts keep the per-account limit out of the way.
    statuses = [
        login(client, f"user{number}@example.com", "wrong").status_code
        for number in range(6)
    ]
    assert statuses == [401] * 5 + [429]
    limited = login(client, "alice@example.com", PASSWORD)
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) >= 1


def test_login_rate_limit_per_account(app: FastAPI, alice: User) -> None:
    # LOGIN_ACCOUNT_RATE_LIMIT is 3/minute in the tests; each attempt comes
    # from a different address, as from a botnet.
    statuses = []
    for number in range(4):
        client = TestClient(app, client=(f"198.51.100.{number}", 40000))
        statuses.append(login(client, "alice@example.com", "wrong").status_code)
    assert statuses == [401, 401, 401, 429]
    other = TestClient(app, client=("198.51.100.200", 40000))
    response = login(other, "ALICE@example.com", PASSWORD)
    assert response.status_code == 429
    assert "account" in response.json()["detail"]


def test_register_rate_limit(client: TestClient) -> None:
    # REGISTER_RATE_LIMIT is 50/minute in the tests.
    statuses = [
        register(client, email=f"user{number}@example.com").status_code
        for number in range(51)
    ]
    assert statuses == [201] * 50 + [429]
