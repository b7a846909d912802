from fastapi.testclient import TestClient

from app.core.config import Settings
from app.main import create_app


def test_live(client: TestClient) -> None:
    response = client.get("/api/v1/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_ready(client: TestClient) -> None:
    response = client.get("/api/v1/health/ready")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_ready_reports_database_down(settings: Settings, tmp_path) -> None:
    missing = tmp_path / "no-such-dir" / "db.sqlite"
    broken = settings.model_copy(update={"DATABASE_URL": f"sqlite:///{missing}"})
    client = TestClient(create_app(broken))
    response = client.get("/api/v1/health/ready")
    assert response.status_code == 503
    assert response.json() == {"detail": "Database unavailable"}
