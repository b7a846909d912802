"""`python -m app.cli create-admin`."""

import io
import subprocess
import sys

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.cli import main
from app.models import User
from tests.helpers import PASSWORD, UserFactory


def run_cli(monkeypatch: pytest.MonkeyPatch, stdin: str, *args: str) -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return main(["create-admin", *args])


def test_create_admin(monkeypatch: pytest.MonkeyPatch, session: Session) -> None:
    exit_code = run_cli(monkeypatch, f"{PASSWORD}\n", "--email", "Root@Example.com")
    user = session.scalars(select(User)).one()
    assert exit_code == 0
    assert user.email == "root@example.com"
    assert user.is_admin
    assert user.hashed_password.startswith("$argon2id$")


def test_create_admin_rejects_weak_password(
    monkeypatch: pytest.MonkeyPatch, session: Session, caplog: pytest.LogCaptureFixture
) -> None:
    exit_code = run_cli(monkeypatch, "password123\n", "--email", "root@example.com")
    assert exit_code == 1
    assert session.scalars(select(User)).first() is None
    assert "password123" not in caplog.text


def test_create_admin_rejects_bad_email(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    exit_code = run_cli(monkeypatch, f"{PASSWORD}\n", "--email", "not-an-email")
    assert exit_code == 1
    assert PASSWORD not in caplog.text


def test_create_admin_rejects_existing_email(
    monkeypatch: pytest.MonkeyPatch, make_user: UserFactory
) -> None:
    make_user("root@example.com")
    exit_code = run_cli(monkeypatch, f"{PASSWORD}\n", "--email", "root@example.com")
    assert exit_code == 1


def test_password_is_not_an_argument() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", "create-admin", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "--email" in result.stdout
    assert "--password" not in result.stdout
