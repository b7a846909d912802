"""The database engine keeps bound values out of error messages."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app.core.config import Settings
from app.core.db import create_db_engine


def test_error_messages_hide_parameters(settings: Settings) -> None:
    engine = create_db_engine(settings)
    statement = text("SELECT secret FROM no_such_table WHERE secret = :secret")
    try:
        with engine.connect() as connection, pytest.raises(DBAPIError) as error:
            connection.execute(statement, {"secret": "hunter2-value"})
    finally:
        engine.dispose()
    assert "no_such_table" in str(error.value)
    assert "hunter2-value" not in str(error.value)
