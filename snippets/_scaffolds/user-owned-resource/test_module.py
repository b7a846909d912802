"""Widgets: ownership on every verb, validation and authentication.

Each test user is a new row of User whose required columns get placeholder
values from `placeholder`. Give them real values in `add_user` when your
model validates them.
"""

import enum
import secrets
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Column, inspect
from sqlalchemy.orm import Session

# PROJECT IMPORTS

WIDGETS = "/widgets"
Headers = dict[str, str]


@pytest.fixture
def api() -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


@pytest.fixture
def session() -> Iterator[Session]:
    """Open a session as the application's session dependency does."""
    dependency = app.dependency_overrides.get(get_session, get_session)
    yield from dependency()


def placeholder(column: Column) -> object:
    """Return a value that the column accepts: unique text, a random number, now."""
    python_type = column.type.python_type
    if issubclass(python_type, enum.Enum):
        return next(iter(python_type))
    if python_type is str:
        return uuid.uuid4().hex[: getattr(column.type, "length", None) or 32]
    values = {
        int: secrets.randbelow(2**31),
        bool: False,
        float: 0.0,
        datetime: datetime.now(UTC),
        date: datetime.now(UTC).date(),
        uuid.UUID: uuid.uuid4(),
        bytes: b"",
    }
    if python_type not in values:
        raise TypeError(f"No placeholder for {column.key}: set its value in add_user")
    return values[python_type]


def needs_value(column: Column) -> bool:
    """Tell whether an insert must give the column a value."""
    generated = column is column.table.autoincrement_column
    has_default = column.default is not None or column.server_default is not None
    return not (column.nullable or generated or has_default)


def add_user(session: Session) -> Headers:
    """Insert a user and return the headers of a bearer token for it."""
    columns = inspect(User).columns.items()
    values = {
        name: placeholder(column) for name, column in columns if needs_value(column)
    }
    user = User(**values)
    session.add(user)
    session.commit()
    return bearer(str(inspect(user).identity[0]))


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


def test_create_read_update_delete(api: TestClient, session: Session) -> None:
    alice = add_user(session)
    created = create(api, alice, "First")
    url = f"{WIDGETS}/{created['id']}"
    assert api.get(url, headers=alice).json()["title"] == "First"
    updated = api.patch(url, json={"title": "New"}, headers=alice)
    assert updated.status_code == 200
    assert updated.json()["content"] == "Body"
    assert api.delete(url, headers=alice).status_code == 204
    assert api.get(url, headers=alice).status_code == 404


def test_other_user_gets_404_on_every_verb(api: TestClient, session: Session) -> None:
    alice = add_user(session)
    bob = add_user(session)
    url = f"{WIDGETS}/{create(api, alice, 'Private')['id']}"
    missing = f"{WIDGETS}/{uuid.uuid4()}"
    for method, body in (("GET", None), ("PATCH", {"title": "x"}), ("DELETE", None)):
        response = api.request(method, url, json=body, headers=bob)
        expected = api.request(method, missing, json=body, headers=bob)
        assert response.status_code == 404, method
        assert response.json() == expected.json(), method
    assert api.get(url, headers=alice).json()["title"] == "Private"


def test_list_shows_only_own_rows(api: TestClient, session: Session) -> None:
    alice = add_user(session)
    bob = add_user(session)
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
        {"title": "x", "owner_id": "1"},
        {"title": "x", "id": str(uuid.uuid4())},
    ],
)
def test_create_rejects_bad_body(api: TestClient, session: Session, body: dict) -> None:
    headers = add_user(session)
    response = api.post(WIDGETS, json=body, headers=headers)
    assert response.status_code == 422


def test_update_rejects_null(api: TestClient, session: Session) -> None:
    alice = add_user(session)
    url = f"{WIDGETS}/{create(api, alice, 'Keep')['id']}"
    assert api.patch(url, json={"title": None}, headers=alice).status_code == 422


def test_requires_authentication(api: TestClient) -> None:
    assert api.get(WIDGETS).status_code == 401
    assert api.post(WIDGETS, json={"title": "x"}).status_code == 401


def test_rejects_a_subject_that_names_no_user(api: TestClient) -> None:
    headers = bearer("no-such-user")
    assert api.get(WIDGETS, headers=headers).status_code == 401
    created = api.post(WIDGETS, json={"title": "x"}, headers=headers)
    assert created.status_code == 401
