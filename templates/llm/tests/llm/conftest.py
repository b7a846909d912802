"""Fixtures of the LLM tests: a started application and request helpers."""

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.api_keys import API_KEY_HEADERS
from tests.llm.helpers import llm_service


@pytest.fixture(scope="session")
def llm_client(app: FastAPI) -> Iterator[TestClient]:
    """A client of the application with its lifespan running, so the models
    are loaded."""
    with TestClient(app) as client:
        yield client


@pytest.fixture(autouse=True)
def reset_token_budgets(llm_client: TestClient) -> None:
    llm_client.portal.call(llm_service(llm_client).token_bucket.reset)


@pytest.fixture
def key_headers() -> dict[str, str]:
    return dict(API_KEY_HEADERS)
