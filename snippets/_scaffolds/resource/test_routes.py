"""Widgets: validation, ownership and pagination."""

import uuid

import pytest
from fastapi.testclient import TestClient

from app.core.config import Settings
from tests.helpers import UserFactory, bearer

WIDGETS = "/api/v1/widgets"
Headers = dict[str, str]


def create(client: TestClient, headers: Headers, title: str, content: str = "") -> dict:
    response = client.post(
        WIDGETS,
        json={"title": title, "content": content},
        headers=headers,
    )
    assert response.status_code == 201
    return response.json()


def test_create_and_read(client: TestClient, alice_headers: Headers, alice) -> None:
    created = create(client, alice_headers, "First", "Body")
    url = f"{WIDGETS}/{created['id']}"
    response = client.get(url, headers=alice_headers)
    assert response.status_code == 200
    assert response.json()["title"] == "First"
    assert response.json()["content"] == "Body"
    assert response.json()["owner_id"] == str(alice.id)


@pytest.mark.parametrize(
    "body",
    [
        {"title": "x", "owner_id": str(uuid.uuid4())},
        {"title": "x", "id": str(uuid.uuid4())},
        {"title": ""},
        {"title": "x" * 201},
        {"content": "no title"},
    ],
)
def test_create_rejects_bad_body(
    client: TestClient, alice_headers: Headers, body: dict
) -> None:
    response = client.post(WIDGETS, json=body, headers=alice_headers)
    assert response.status_code == 422


def test_update(client: TestClient, alice_headers: Headers) -> None:
    created = create(client, alice_headers, "Old", "Body")
    url = f"{WIDGETS}/{created['id']}"
    response = client.patch(url, json={"title": "New"}, headers=alice_headers)
    assert response.status_code == 200
    assert response.json()["title"] == "New"
    assert response.json()["content"] == "Body"


@pytest.mark.parametrize("body", [{"title": None}, {"owner_id": str(uuid.uuid4())}])
def test_update_rejects_bad_body(
    client: TestClient, alice_headers: Headers, body: dict
) -> None:
    created = create(client, alice_headers, "Keep")
    url = f"{WIDGETS}/{created['id']}"
    assert client.patch(url, json=body, headers=alice_headers).status_code == 422
    assert client.get(url, headers=alice_headers).json()["title"] == "Keep"


def test_delete(client: TestClient, alice_headers: Headers) -> None:
    created = create(client, alice_headers, "Temporary")
    url = f"{WIDGETS}/{created['id']}"
    assert client.delete(url, headers=alice_headers).status_code == 204
    assert client.get(url, headers=alice_headers).status_code == 404


def test_other_user_gets_404_on_every_verb(
    client: TestClient, alice_headers: Headers, bob_headers: Headers
) -> None:
    created = create(client, alice_headers, "Private")
    url = f"{WIDGETS}/{created['id']}"
    missing = f"{WIDGETS}/{uuid.uuid4()}"
    for method, body in (("GET", None), ("PATCH", {"title": "x"}), ("DELETE", None)):
        response = client.request(method, url, json=body, headers=bob_headers)
        expected = client.request(method, missing, json=body, headers=bob_headers)
        assert response.status_code == 404, method
        assert response.json() == expected.json(), method
    assert client.get(url, headers=alice_headers).json()["title"] == "Private"


def test_list_shows_only_own_rows(
    client: TestClient, alice_headers: Headers, bob_headers: Headers
) -> None:
    create(client, alice_headers, "Alice's")
    create(client, bob_headers, "Bob's")
    page = client.get(WIDGETS, headers=bob_headers).json()
    assert page["count"] == 1
    assert [row["title"] for row in page["data"]] == ["Bob's"]


def test_admin_sees_every_row(
    client: TestClient,
    alice_headers: Headers,
    make_user: UserFactory,
    settings: Settings,
) -> None:
    created = create(client, alice_headers, "Alice's")
    admin = bearer(make_user("admin@example.com", is_admin=True), settings)
    assert client.get(WIDGETS, headers=admin).json()["count"] == 1
    url = f"{WIDGETS}/{created['id']}"
    response = client.get(url, headers=admin)
    assert response.status_code == 200


def test_pagination(client: TestClient, alice_headers: Headers) -> None:
    for number in range(5):
        create(client, alice_headers, f"row {number}")
    page = client.get(
        WIDGETS, params={"limit": 2, "offset": 1}, headers=alice_headers
    ).json()
    assert page["count"] == 5
    assert len(page["data"]) == 2


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 101},
        {"offset": -1},
        {"offset": 10_001},
        {"owner_id": str(uuid.uuid4())},
    ],
)
def test_list_rejects_bad_query(
    client: TestClient, alice_headers: Headers, params: dict
) -> None:
    response = client.get(WIDGETS, params=params, headers=alice_headers)
    assert response.status_code == 422


def test_requires_authentication(client: TestClient) -> None:
    assert client.get(WIDGETS).status_code == 401
    assert client.post(WIDGETS, json={"title": "x"}).status_code == 401
