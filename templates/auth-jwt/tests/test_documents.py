"""Documents: validation, ownership, pagination, sorting and literal search."""

import uuid
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from app.core.config import Settings
from tests.helpers import UserFactory, bearer

DOCUMENTS = "/api/v1/documents"
Headers = dict[str, str]


def create(client: TestClient, headers: Headers, title: str, content: str = "") -> dict:
    response = client.post(
        DOCUMENTS, json={"title": title, "content": content}, headers=headers
    )
    assert response.status_code == 201
    return response.json()


def titles(client: TestClient, headers: Headers, **params: object) -> list[str]:
    response = client.get(DOCUMENTS, params=params, headers=headers)
    assert response.status_code == 200
    return [document["title"] for document in response.json()["data"]]


def test_create_and_read(client: TestClient, alice_headers: Headers, alice) -> None:
    created = create(client, alice_headers, "Plan", "Details")
    response = client.get(f"{DOCUMENTS}/{created['id']}", headers=alice_headers)
    assert response.status_code == 200
    assert response.json()["title"] == "Plan"
    assert response.json()["content"] == "Details"
    assert response.json()["owner_id"] == str(alice.id)
    created_at = datetime.fromisoformat(response.json()["created_at"])
    assert created_at.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    "body",
    [
        {"title": "x", "owner_id": str(uuid.uuid4())},
        {"title": "x", "id": str(uuid.uuid4())},
        {"title": ""},
        {"title": "x" * 201},
        {"content": "no title"},
        {"title": 5},
        {"title": "nul\u0000title"},
        {"title": "x", "content": "nul \u0000 in content"},
    ],
)
def test_create_rejects_bad_body(
    client: TestClient, alice_headers: Headers, body: dict
) -> None:
    response = client.post(DOCUMENTS, json=body, headers=alice_headers)
    assert response.status_code == 422


def test_update(client: TestClient, alice_headers: Headers) -> None:
    created = create(client, alice_headers, "Old", "Body")
    url = f"{DOCUMENTS}/{created['id']}"
    response = client.patch(url, json={"title": "New"}, headers=alice_headers)
    assert response.status_code == 200
    assert response.json()["title"] == "New"
    assert response.json()["content"] == "Body"


@pytest.mark.parametrize(
    "body", [{"title": None}, {"owner_id": str(uuid.uuid4())}, {"title": ""}]
)
def test_update_rejects_bad_body(
    client: TestClient, alice_headers: Headers, body: dict
) -> None:
    created = create(client, alice_headers, "Keep")
    url = f"{DOCUMENTS}/{created['id']}"
    response = client.patch(url, json=body, headers=alice_headers)
    assert response.status_code == 422
    assert client.get(url, headers=alice_headers).json()["title"] == "Keep"


def test_delete(client: TestClient, alice_headers: Headers) -> None:
    created = create(client, alice_headers, "Temporary")
    url = f"{DOCUMENTS}/{created['id']}"
    assert client.delete(url, headers=alice_headers).status_code == 204
    assert client.get(url, headers=alice_headers).status_code == 404


def test_other_user_gets_404_on_every_verb(
    client: TestClient, alice_headers: Headers, bob_headers: Headers
) -> None:
    created = create(client, alice_headers, "Private")
    url = f"{DOCUMENTS}/{created['id']}"
    missing = f"{DOCUMENTS}/{uuid.uuid4()}"
    for method, body in (("GET", None), ("PATCH", {"title": "x"}), ("DELETE", None)):
        response = client.request(method, url, json=body, headers=bob_headers)
        expected = client.request(method, missing, json=body, headers=bob_headers)
        assert response.status_code == 404, method
        assert response.json() == expected.json(), method
    after = client.get(url, headers=alice_headers).json()
    assert after["title"] == "Private"


def test_list_shows_only_own_documents(
    client: TestClient, alice_headers: Headers, bob_headers: Headers
) -> None:
    create(client, alice_headers, "Alice 1")
    create(client, bob_headers, "Bob 1")
    response = client.get(DOCUMENTS, headers=bob_headers)
    assert response.json()["count"] == 1
    assert titles(client, bob_headers) == ["Bob 1"]
    assert titles(client, bob_headers, q="Alice") == []


def test_admin_sees_all_documents(
    client: TestClient,
    alice_headers: Headers,
    make_user: UserFactory,
    settings: Settings,
) -> None:
    created = create(client, alice_headers, "Alice 1")
    admin = bearer(make_user("admin@example.com", is_admin=True), settings)
    assert titles(client, admin) == ["Alice 1"]
    response = client.get(f"{DOCUMENTS}/{created['id']}", headers=admin)
    assert response.status_code == 200


def test_pagination(client: TestClient, alice_headers: Headers) -> None:
    for number in range(5):
        create(client, alice_headers, f"doc {number}")
    page = client.get(
        DOCUMENTS,
        params={"limit": 2, "offset": 2, "sort": "title"},
        headers=alice_headers,
    ).json()
    assert page["count"] == 5
    assert [document["title"] for document in page["data"]] == ["doc 2", "doc 3"]


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 101},
        {"offset": -1},
        {"offset": 10_001},
        {"sort": "hashed_password"},
        {"sort": "title; DROP TABLE users"},
        {"q": ""},
        {"q": "x" * 101},
        {"q": "nul\x00"},
        {"owner_id": str(uuid.uuid4())},
    ],
)
def test_list_rejects_bad_query(
    client: TestClient, alice_headers: Headers, params: dict
) -> None:
    response = client.get(DOCUMENTS, params=params, headers=alice_headers)
    assert response.status_code == 422


def test_sort(client: TestClient, alice_headers: Headers) -> None:
    for title in ("b", "a", "c"):
        create(client, alice_headers, title)
    assert titles(client, alice_headers, sort="title") == ["a", "b", "c"]
    assert titles(client, alice_headers, sort="-title") == ["c", "b", "a"]
    assert titles(client, alice_headers, sort="created_at") == ["b", "a", "c"]


@pytest.mark.parametrize(
    "title",
    ["'; DROP TABLE users; --", "100% sure", "snake_case", "back\\slash", '" OR 1=1'],
)
def test_sql_metacharacters_stored_literally(
    client: TestClient, alice_headers: Headers, title: str
) -> None:
    created = create(client, alice_headers, title, content=title)
    fetched = client.get(f"{DOCUMENTS}/{created['id']}", headers=alice_headers)
    assert fetched.json()["title"] == title
    assert fetched.json()["content"] == title
    assert titles(client, alice_headers, q=title) == [title]
    assert client.get("/api/v1/users/me", headers=alice_headers).status_code == 200


def test_search_wildcards_match_literally(
    client: TestClient, alice_headers: Headers
) -> None:
    for title in ("100% sure", "1000 sure", "snake_case", "snakeXcase"):
        create(client, alice_headers, title)
    assert titles(client, alice_headers, q="%") == ["100% sure"]
    assert titles(client, alice_headers, q="0% s") == ["100% sure"]
    assert titles(client, alice_headers, q="_") == ["snake_case"]
    assert titles(client, alice_headers, q="e_c") == ["snake_case"]


def test_search_ignores_case(client: TestClient, alice_headers: Headers) -> None:
    create(client, alice_headers, "Quarterly Report")
    assert titles(client, alice_headers, q="quarterly") == ["Quarterly Report"]


@pytest.mark.parametrize("document_id", ["1", "not-a-uuid", "..%2f..%2fetc"])
def test_non_uuid_id_rejected(
    client: TestClient, alice_headers: Headers, document_id: str
) -> None:
    response = client.get(f"{DOCUMENTS}/{document_id}", headers=alice_headers)
    assert response.status_code in {404, 422}
    if response.status_code == 422:
        assert response.json()["detail"][0]["loc"] == ["path", "document_id"]


def test_requires_authentication(client: TestClient) -> None:
    assert client.get(DOCUMENTS).status_code == 401
    assert client.post(DOCUMENTS, json={"title": "x"}).status_code == 401
