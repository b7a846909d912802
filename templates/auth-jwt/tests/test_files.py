"""File upload and download: size limit, ownership and path traversal."""

import asyncio
import hashlib
import uuid
from urllib.parse import unquote

import pytest
from fastapi import FastAPI, HTTPException
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.api.routes.files import validate_filename
from app.core.config import Settings
from app.models import StoredFile

FILES = "/api/v1/files"
Headers = dict[str, str]
SECRET_CONTENT = b"TOP-SECRET-OUTSIDE-UPLOAD-ROOT"


def upload(
    client: TestClient,
    headers: Headers,
    content: bytes = b"hello",
    filename: str = "notes.txt",
    content_type: str = "text/plain",
):
    files = {"file": (filename, content, content_type)}
    return client.post(FILES, files=files, headers=headers)


def send_raw_get(app: FastAPI, raw_path: bytes, headers: Headers) -> tuple[int, bytes]:
    """Send a GET with an exact request target, which HTTP clients would normalize.

    The path is percent-decoded once, as uvicorn does before routing.
    """
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": unquote(raw_path.decode("latin-1")),
        "raw_path": raw_path,
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver")]
        + [(name.lower().encode(), value.encode()) for name, value in headers.items()],
        "client": ("testclient", 50000),
        "server": ("testserver", 80),
    }
    messages: list[dict] = []

    async def exchange() -> None:
        response_done = asyncio.Event()
        request_sent = False

        async def receive() -> dict:
            nonlocal request_sent
            if not request_sent:
                request_sent = True
                return {"type": "http.request", "body": b"", "more_body": False}
            # Later reads wait for a disconnect: report one after the response.
            await response_done.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict) -> None:
            messages.append(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                response_done.set()

        await app(scope, receive, send)

    asyncio.run(exchange())
    status = next(m["status"] for m in messages if m["type"] == "http.response.start")
    chunks = [m.get("body", b"") for m in messages if m["type"] == "http.response.body"]
    body = b"".join(chunks)
    return status, body


def test_upload_and_download(
    client: TestClient, alice_headers: Headers, settings: Settings, session: Session
) -> None:
    content = b"line one\nline two\n"
    created = upload(client, alice_headers, content, "report 2024.txt")
    body = created.json()
    assert created.status_code == 201
    assert body["original_filename"] == "report 2024.txt"
    assert body["size_bytes"] == len(content)
    assert body["sha256"] == hashlib.sha256(content).hexdigest()
    assert "storage_name" not in body

    stored = session.scalars(select(StoredFile)).one()
    assert stored.storage_name != "report 2024.txt"
    on_disk = settings.UPLOAD_DIR.resolve() / stored.storage_name
    assert on_disk.read_bytes() == content
    assert on_disk.stat().st_mode & 0o777 == 0o600

    response = client.get(f"{FILES}/{body['id']}", headers=alice_headers)
    assert response.status_code == 200
    assert response.content == content
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Type"].startswith("text/plain")


def test_html_upload_is_served_as_attachment(
    client: TestClient, alice_headers: Headers
) -> None:
    created = upload(
        client, alice_headers, b"<script>alert(1)</script>", "x.html", "text/html"
    ).json()
    response = client.get(f"{FILES}/{created['id']}", headers=alice_headers)
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize(
    ("declared", "stored"),
    [
        ("text/plain; charset=utf-8", "text/plain"),
        ("Image/PNG", "image/png"),
        ("not a media type", "application/octet-stream"),
        ("text/html, text/plain", "application/octet-stream"),
    ],
)
def test_content_type_normalized(
    client: TestClient, alice_headers: Headers, declared: str, stored: str
) -> None:
    created = upload(client, alice_headers, content_type=declared)
    assert created.status_code == 201
    assert created.json()["content_type"] == stored


def test_upload_too_large(
    client: TestClient, alice_headers: Headers, settings: Settings
) -> None:
    content = b"x" * (settings.MAX_UPLOAD_BYTES + 1)
    response = upload(client, alice_headers, content)
    assert response.status_code == 413
    assert list(settings.UPLOAD_DIR.glob("*")) == []
    assert client.get(FILES, headers=alice_headers).json()["count"] == 0


def test_upload_at_limit_accepted(
    client: TestClient, alice_headers: Headers, settings: Settings
) -> None:
    response = upload(client, alice_headers, b"x" * settings.MAX_UPLOAD_BYTES)
    assert response.status_code == 201


def test_upload_body_far_too_large(
    client: TestClient, alice_headers: Headers, settings: Settings
) -> None:
    # Rejected by the body size limit before the multipart parser runs.
    content = b"x" * (settings.MAX_UPLOAD_BYTES * 2)
    response = upload(client, alice_headers, content)
    assert response.status_code == 413


@pytest.mark.parametrize(
    "filename",
    ["../../etc/passwd", "..\\..\\boot.ini", "/etc/passwd", "..", "x" * 256],
)
def test_upload_rejects_unsafe_filename(
    client: TestClient, alice_headers: Headers, filename: str
) -> None:
    response = upload(client, alice_headers, filename=filename)
    assert response.status_code == 422


@pytest.mark.parametrize(
    "filename",
    ["a\x00b.txt", "line\nbreak.txt", "bidi\u202etxt.exe", "", "   ", "a/b", "a\\b"],
)
def test_validate_filename_rejects(filename: str) -> None:
    with pytest.raises(HTTPException) as error:
        validate_filename(filename)
    assert error.value.status_code == 422


@pytest.mark.parametrize("filename", ["report.pdf", "Über uns.txt", "a..b", ".env"])
def test_validate_filename_accepts(filename: str) -> None:
    assert validate_filename(filename) == filename


def test_list_shows_only_own_files(
    client: TestClient, alice_headers: Headers, bob_headers: Headers
) -> None:
    upload(client, alice_headers, filename="alice.txt")
    upload(client, bob_headers, filename="bob.txt")
    response = client.get(FILES, headers=bob_headers).json()
    assert response["count"] == 1
    assert [item["original_filename"] for item in response["data"]] == ["bob.txt"]


def test_other_user_gets_404_on_every_verb(
    client: TestClient, alice_headers: Headers, bob_headers: Headers
) -> None:
    created = upload(client, alice_headers).json()
    url = f"{FILES}/{created['id']}"
    missing = f"{FILES}/{uuid.uuid4()}"
    for method in ("GET", "DELETE"):
        response = client.request(method, url, headers=bob_headers)
        expected = client.request(method, missing, headers=bob_headers)
        assert response.status_code == 404, method
        assert response.json() == expected.json(), method
    assert client.get(url, headers=alice_headers).content == b"hello"


def test_delete_removes_bytes(
    client: TestClient, alice_headers: Headers, settings: Settings
) -> None:
    created = upload(client, alice_headers).json()
    url = f"{FILES}/{created['id']}"
    assert client.delete(url, headers=alice_headers).status_code == 204
    assert client.get(url, headers=alice_headers).status_code == 404
    assert list(settings.UPLOAD_DIR.glob("*")) == []


def test_download_refuses_symlink_out_of_root(
    client: TestClient, alice_headers: Headers, settings: Settings, session: Session
) -> None:
    created = upload(client, alice_headers).json()
    stored = session.get(StoredFile, uuid.UUID(created["id"]))
    assert stored is not None
    secret = settings.UPLOAD_DIR.resolve().parent / "secret.txt"
    secret.write_bytes(SECRET_CONTENT)
    target = settings.UPLOAD_DIR.resolve() / stored.storage_name
    target.unlink()
    target.symlink_to(secret)
    response = client.get(f"{FILES}/{created['id']}", headers=alice_headers)
    assert response.status_code == 404
    assert SECRET_CONTENT not in response.content


TRAVERSAL_TARGETS = [
    b"../secret.txt",
    b"../../secret.txt",
    b"..%2fsecret.txt",
    b"%2e%2e%2fsecret.txt",
    b"%2e%2e/secret.txt",
    b"%252e%252e%252fsecret.txt",
    b"..%255csecret.txt",
    b"..%5csecret.txt",
    b"..\\secret.txt",
    b"%2fetc%2fpasswd",
    b"/etc/passwd",
    b"%2Fetc%2Fpasswd",
    b"secret.txt%00",
    b"..%00/secret.txt",
    b"%c0%ae%c0%ae%c0%afsecret.txt",
    b"....//secret.txt",
]


@pytest.mark.parametrize("target", TRAVERSAL_TARGETS, ids=lambda t: t.decode())
def test_download_rejects_traversal(
    app: FastAPI, alice_headers: Headers, settings: Settings, target: bytes
) -> None:
    upload_root = settings.UPLOAD_DIR.resolve()
    upload_root.mkdir(parents=True, exist_ok=True)
    (upload_root.parent / "secret.txt").write_bytes(SECRET_CONTENT)
    status, body = send_raw_get(app, b"/api/v1/files/" + target, alice_headers)
    assert status in {404, 422}
    assert SECRET_CONTENT not in body
    assert b"root:" not in body


def test_raw_get_helper_reaches_route(
    app: FastAPI, client: TestClient, alice_headers: Headers
) -> None:
    created = upload(client, alice_headers).json()
    status, body = send_raw_get(
        app, f"/api/v1/files/{created['id']}".encode(), alice_headers
    )
    assert status == 200
    assert body == b"hello"
