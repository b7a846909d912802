"""Behaviour shared by every route: security headers, trusted hosts, CORS, body
size limit, error handling and the default rate limit."""

import logging
import uuid

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from pydantic import BaseModel, ConfigDict, Field

from app.core.config import Settings
from app.main import create_app

ALLOWED_ORIGIN = "https://app.example.com"
SECRET_INPUT = "Sup3r-secret-passphrase-value"


class SecretBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    password: str = Field(min_length=40)


@pytest.fixture(scope="module")
def test_app(settings: Settings) -> FastAPI:
    """The application plus routes that exist only in the tests."""
    application = create_app(settings)

    @application.get("/api/v1/test/boom")
    def boom() -> None:
        raise RuntimeError("database password is hunter2")

    @application.post("/api/v1/test/body-size")
    async def body_size(request: Request) -> dict[str, int]:
        return {"size": len(await request.body())}

    @application.post("/api/v1/test/secret")
    def secret(body: SecretBody) -> dict[str, bool]:
        return {"ok": True}

    return application


@pytest.fixture
def test_client(test_app: FastAPI) -> TestClient:
    return TestClient(test_app)


def test_security_headers_on_api_response(client: TestClient) -> None:
    response = client.get("/api/v1/health/live")
    assert response.status_code == 200
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in response.headers


def test_hsts_only_in_production(settings: Settings) -> None:
    production = settings.model_copy(update={"ENVIRONMENT": "production"})
    client = TestClient(create_app(production))
    response = client.get("/api/v1/health/live")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_unknown_host_rejected(client: TestClient) -> None:
    response = client.get("/api/v1/health/live", headers={"Host": "evil.example"})
    assert response.status_code == 400


def test_cors_allowed_origin_gets_headers(client: TestClient) -> None:
    response = client.get("/api/v1/health/live", headers={"Origin": ALLOWED_ORIGIN})
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    assert "Access-Control-Allow-Credentials" not in response.headers


def test_cors_disallowed_origin_gets_no_headers(client: TestClient) -> None:
    response = client.get(
        "/api/v1/health/live", headers={"Origin": "https://evil.example"}
    )
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response.headers


def test_cors_preflight(client: TestClient) -> None:
    allowed = client.options(
        "/api/v1/health/live",
        headers={
            "Origin": ALLOWED_ORIGIN,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "Authorization",
        },
    )
    denied = client.options(
        "/api/v1/health/live",
        headers={
            "Origin": "https://evil.example",
            "Access-Control-Request-Method": "GET",
        },
    )
    assert allowed.status_code == 200
    assert allowed.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    assert "PUT" not in allowed.headers["Access-Control-Allow-Methods"]
    assert denied.status_code == 400
    assert "Access-Control-Allow-Origin" not in denied.headers


def test_body_limit_with_content_length(test_client: TestClient) -> None:
    response = test_client.post("/api/v1/test/body-size", content=b"x" * 65_537)
    assert response.status_code == 413
    assert "65536" in response.json()["detail"]


def test_body_limit_with_chunked_body(test_client: TestClient) -> None:
    def chunks():
        for _ in range(20):
            yield b"x" * 4096

    response = test_client.post("/api/v1/test/body-size", content=chunks())
    assert response.status_code == 413
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_body_within_limit_accepted(test_client: TestClient) -> None:
    response = test_client.post("/api/v1/test/body-size", content=b"x" * 1000)
    assert response.status_code == 200
    assert response.json() == {"size": 1000}


def test_invalid_content_length_rejected(test_client: TestClient) -> None:
    response = test_client.post(
        "/api/v1/test/body-size", content=b"x", headers={"Content-Length": "abc"}
    )
    assert response.status_code == 400


def test_unhandled_error_hides_details(
    test_app: FastAPI, caplog: pytest.LogCaptureFixture
) -> None:
    client = TestClient(test_app, raise_server_exceptions=False)
    response = client.get("/api/v1/test/boom")
    body = response.json()
    assert response.status_code == 500
    assert body["detail"] == "Internal server error"
    assert uuid.UUID(body["error_id"])
    assert "Traceback" not in response.text
    assert "hunter2" not in response.text
    assert "RuntimeError" not in response.text
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert body["error_id"] in caplog.text


def test_server_does_not_log_the_error_again(
    test_app: FastAPI, caplog: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(RuntimeError) as raised:
        TestClient(test_app).get("/api/v1/test/boom")
    server_logger = logging.getLogger("uvicorn.error")
    # What uvicorn logs when Starlette re-raises the error after the handler.
    server_logger.error("Exception in ASGI application", exc_info=raised.value)
    server_logger.error("Other failure", exc_info=ValueError("not handled"))
    assert "Unhandled error" in caplog.text
    assert "Exception in ASGI application" not in caplog.text
    assert "Other failure" in caplog.text


def test_validation_error_does_not_echo_input(test_client: TestClient) -> None:
    response = test_client.post(
        "/api/v1/test/secret", json={"password": SECRET_INPUT, "extra": SECRET_INPUT}
    )
    assert response.status_code == 422
    assert SECRET_INPUT not in response.text
    for error in response.json()["detail"]:
        assert set(error) == {"type", "loc", "msg"}


def test_malformed_json_does_not_echo_body(test_client: TestClient) -> None:
    response = test_client.post(
        "/api/v1/test/secret",
        content=f'{{"password": "{SECRET_INPUT}"',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert SECRET_INPUT not in response.text


def test_unknown_route_returns_json_404(client: TestClient) -> None:
    response = client.get("/api/v1/does-not-exist")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}


def test_default_rate_limit(client: TestClient) -> None:
    # DEFAULT_RATE_LIMIT is 60/minute in the tests.
    statuses = [client.get("/api/v1/health/live").status_code for _ in range(61)]
    assert statuses[:60] == [200] * 60
    assert statuses[60] == 429
    limited = client.get("/api/v1/health/live")
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) >= 1
    assert limited.json() == {"detail": "Too many requests. Try again later"}


def test_default_rate_limit_is_per_client(app: FastAPI) -> None:
    first = TestClient(app, client=("203.0.113.1", 50000))
    second = TestClient(app, client=("203.0.113.2", 50000))
    for _ in range(60):
        first.get("/api/v1/health/live")
    assert first.get("/api/v1/health/live").status_code == 429
    assert second.get("/api/v1/health/live").status_code == 200
