"""Fixtures of the model serving tests."""

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient


@pytest.fixture(scope="session")
def model_client(app: FastAPI) -> Iterator[TestClient]:
    """A client of the application with its lifespan running, so the models
    are loaded."""
    with TestClient(app) as client:
        yield client
