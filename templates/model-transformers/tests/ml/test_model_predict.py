"""The text classification route of the transformers classifier."""

from pathlib import Path
from typing import Any

import pytest
import torch
from fastapi.testclient import TestClient
from transformers import AutoModelForSequenceClassification, AutoTokenizer

from app.ml.schemas import MAX_TEXT_CHARS
from tests.ml.tiny_model import LABELS

PREDICT_URL = "/api/v1/model/predict"
TEXT = "the movie was great"


def expected_probabilities(directory: Path, text: str) -> list[float]:
    tokenizer = AutoTokenizer.from_pretrained(directory, local_files_only=True)
    model = AutoModelForSequenceClassification.from_pretrained(
        directory, local_files_only=True
    ).eval()
    with torch.no_grad():
        logits = model(**tokenizer(text, return_tensors="pt")).logits
    return torch.softmax(logits, dim=-1)[0].tolist()


def test_prediction_matches_model(
    model_client: TestClient, model_headers: dict[str, str], classifier_dir: Path
) -> None:
    response = model_client.post(
        PREDICT_URL, json={"text": TEXT}, headers=model_headers
    )
    body = response.json()
    expected = expected_probabilities(classifier_dir, TEXT)
    assert response.status_code == 200
    assert list(body["probabilities"]) == list(LABELS)
    assert list(body["probabilities"].values()) == pytest.approx(expected, abs=1e-6)
    assert body["label"] == LABELS[expected.index(max(expected))]


def test_long_text_truncated(
    model_client: TestClient, model_headers: dict[str, str]
) -> None:
    # MODEL_MAX_INPUT_TOKENS is 16 in the tests and the model's context is 64.
    text = " ".join(["good"] * 500)
    response = model_client.post(
        PREDICT_URL, json={"text": text}, headers=model_headers
    )
    assert response.status_code == 200
    assert sum(response.json()["probabilities"].values()) == pytest.approx(1.0)


def test_prediction_needs_credentials(model_client: TestClient) -> None:
    response = model_client.post(PREDICT_URL, json={"text": TEXT})
    assert response.status_code == 401


@pytest.mark.parametrize(
    "headers",
    [{"X-API-Key": "wrong-key"}, {"Authorization": "Bearer wrong-token"}],
    ids=["api key", "bearer token"],
)
def test_prediction_rejects_wrong_credentials(
    model_client: TestClient, headers: dict[str, str]
) -> None:
    response = model_client.post(PREDICT_URL, json={"text": TEXT}, headers=headers)
    assert response.status_code == 401


@pytest.mark.parametrize(
    "body",
    [
        {"text": ""},
        {"text": "a" * (MAX_TEXT_CHARS + 1)},
        {"text": 42},
        {"text": TEXT, "model": "other"},
        {},
    ],
    ids=["empty", "too long", "not a string", "extra field", "missing"],
)
def test_invalid_text_rejected(
    model_client: TestClient, model_headers: dict[str, str], body: dict[str, Any]
) -> None:
    response = model_client.post(PREDICT_URL, json=body, headers=model_headers)
    assert response.status_code == 422
