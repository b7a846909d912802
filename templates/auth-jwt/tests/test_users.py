import uuid

import pytest
from fastapi.testclient import TestClient

from app.core.config import Settings
from app.models import User
from tests.helpers import HASH_PREFIX, UserFactory, bearer


def test_me(client: TestClient, alice: User, alice_headers: dict[str, str]) -> None:
    response = client.get("/api/v1/users/me", headers=alice_headers)
    assert response.status_code == 200
    assert response.json()["email"] == "alice@example.com"
    assert "hashed_password" not in response.json()
    assert HASH_PREFIX not in response.text


def test_read_self(client: TestClient, alice: User, alice_headers: dict) -> None:
    response = client.get(f"/api/v1/users/{alice.id}", headers=alice_headers)
    assert response.status_code == 200
    assert response.json()["id"] == str(alice.id)
    assert HASH_PREFIX not in response.text


def test_other_user_is_not_found(
    client: TestClient, bob: User, alice_headers: dict
) -> None:
    other = client.get(f"/api/v1/users/{bob.id}", headers=alice_headers)
    missing = client.get(f"/api/v1/users/{uuid.uuid4()}", headers=alice_headers)
    assert other.status_code == 404
    assert other.json() == missing.json()


def test_admin_reads_any_user(
    client: TestClient, bob: User, make_user: UserFactory, settings: Settings
) -> None:
    admin = make_user("admin@example.com", is_admin=True)
    response = client.get(f"/api/v1/users/{bob.id}", headers=bearer(admin, settings))
    assert response.status_code == 200
    assert response.json()["email"] == "bob@example.com"
    assert HASH_PREFIX not in response.text


@pytest.mark.parametrize("user_id", ["1", "abc", "1 OR 1=1", "' OR ''='"])
def test_non_uuid_id_rejected(
    client: TestClient, alice_headers: dict, user_id: str
) -> None:
    response = client.get(f"/api/v1/users/{user_id}", headers=alice_headers)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["path", "user_id"]


def test_requires_authentication(client: TestClient, alice: User) -> None:
    assert client.get(f"/api/v1/users/{alice.id}").status_code == 401
