"""Widgets: ownership on every verb, validation and authentication."""

import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

# PROJECT IMPORTS

WIDGETS = "/widgets"
Headers = dict[str, str]


@pytest.fixture
def api() -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


def bearer(subject: str) -> Headers:
    token = create_access_token(subject, app.state.token_settings)
    return {"Authorization": f"Bearer {token}"}


def create(api: TestClient, headers: Headers, title: str) -> dict:
    response = api.post(
        WIDGETS,
        json={"title": title, "content": "Body"},
        headers=headers,
    )
    assert response.status_code == 201
    return response.json()


def test_create_read_update_delete(api: TestClient) -> None:
    alice = bearer(f"alice-{uuid.uuid4()}")
    created = create(api, alice, "First")
    url = f"{WIDGETS}/{created['id']}"
    assert api.get(url, headers=alice).json()["title"] == "First"
    updated = api.patch(url, json={"title": "New"}, headers=alice)
    assert updated.status_code == 200
    assert updated.json()["content"] == "Body"
    assert api.delete(url, headers=alice).status_code == 204
    assert api.get(url, headers=alice).status_code == 404


def test_other_subject_gets_404_on_every_verb(api: TestClient) -> None:
    alice = bearer(f"alice-{uuid.uuid4()}")
    bob = bearer(f"bob-{uuid.uuid4()}")
    url = f"{WIDGETS}/{create(api, alice, 'Private')['id']}"
    missing = f"{WIDGETS}/{uuid.uuid4()}"
    for method, body in (("GET", None), ("PATCH", {"title": "x"}), ("DELETE", None)):
        response = api.request(method, url, json=body, headers=bob)
        expected = api.request(method, missing, json=body, headers=bob)
        assert response.status_code == 404, method
        assert response.json() == expected.json(), method
    assert api.get(url, headers=alice).json()["title"] == "Private"


def test_list_shows_only_own_rows(api: TestClient) -> None:
    alice = bearer(f"alice-{uuid.uuid4()}")
    bob = bearer(f"bob-{uuid.uuid4()}")
    create(api, alice, "Alice's")
    create(api, bob, "Bob's")
    page = api.get(WIDGETS, headers=bob).json()
    assert page["count"] == 1
    assert [row["title"] for row in page["data"]] == ["Bob's"]


@pytest.mark.parametrize(
    "body",
    [
        {"title": ""},
        {"title": "x" * 201},
        {"title": "x", "owner": "someone-else"},
        {"title": "x", "id": str(uuid.uuid4())},
    ],
)
def test_create_rejects_bad_body(api: TestClient, body: dict) -> None:
    headers = bearer(f"alice-{uuid.uuid4()}")
    response = api.post(WIDGETS, json=body, headers=headers)
    assert response.status_code == 422


def test_update_rejects_null(api: TestClient) -> None:
    alice = bearer(f"alice-{uuid.uuid4()}")
    url = f"{WIDGETS}/{create(api, alice, 'Keep')['id']}"
    assert api.patch(url, json={"title": None}, headers=alice).status_code == 422


def test_requires_authentication(api: TestClient) -> None:
    assert api.get(WIDGETS).status_code == 401
    assert api.post(WIDGETS, json={"title": "x"}).status_code == 401
