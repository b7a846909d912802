"""The prediction route of the safetensors classifier."""

from typing import Any

import pytest
import torch
from fastapi.testclient import TestClient

from app.ml.architecture import CLASS_LABELS, INPUT_FEATURES
from tests.ml.tiny_model import build_classifier

PREDICT_URL = "/api/v1/model/predict"
FEATURES = [5.1, 3.5, 1.4, 0.2]


def expected_probabilities(features: list[float]) -> list[float]:
    with torch.no_grad():
        logits = build_classifier()(torch.tensor([features]))
    return torch.softmax(logits, dim=-1)[0].tolist()


def test_prediction_matches_model(
    model_client: TestClient, model_headers: dict[str, str]
) -> None:
    response = model_client.post(
        PREDICT_URL, json={"features": FEATURES}, headers=model_headers
    )
    body = response.json()
    expected = expected_probabilities(FEATURES)
    assert response.status_code == 200
    assert list(body["probabilities"]) == list(CLASS_LABELS)
    assert list(body["probabilities"].values()) == pytest.approx(expected, abs=1e-6)
    assert body["label"] == CLASS_LABELS[expected.index(max(expected))]


def test_probabilities_sum_to_one(
    model_client: TestClient, model_headers: dict[str, str]
) -> None:
    response = model_client.post(
        PREDICT_URL, json={"features": [0, 0, 0, 0]}, headers=model_headers
    )
    assert sum(response.json()["probabilities"].values()) == pytest.approx(1.0)


def test_prediction_needs_credentials(model_client: TestClient) -> None:
    response = model_client.post(PREDICT_URL, json={"features": FEATURES})
    assert response.status_code == 401


@pytest.mark.parametrize(
    "headers",
    [{"X-API-Key": "wrong-key"}, {"Authorization": "Bearer wrong-token"}],
    ids=["api key", "bearer token"],
)
def test_prediction_rejects_wrong_credentials(
    model_client: TestClient, headers: dict[str, str]
) -> None:
    response = model_client.post(
        PREDICT_URL, json={"features": FEATURES}, headers=headers
    )
    assert response.status_code == 401


@pytest.mark.parametrize(
    "body",
    [
        {"features": FEATURES[:-1]},
        {"features": [*FEATURES, 1.0]},
        {"features": []},
        {"features": [1.0, 2.0, 3.0, 1e7]},
        {"features": [1.0, 2.0, 3.0, "four"]},
        {"features": [1.0, 2.0, 3.0, "4.0"]},
        {"features": [1.0, 2.0, 3.0, True]},
        {"features": FEATURES, "model": "other"},
        {},
    ],
    ids=[
        "too few",
        "too many",
        "empty",
        "out of range",
        "not a number",
        "numeric string",
        "boolean",
        "extra field",
        "missing",
    ],
)
def test_invalid_features_rejected(
    model_client: TestClient, model_headers: dict[str, str], body: dict[str, Any]
) -> None:
    response = model_client.post(PREDICT_URL, json=body, headers=model_headers)
    assert response.status_code == 422


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_feature_rejected(
    model_client: TestClient, model_headers: dict[str, str], value: str
) -> None:
    response = model_client.post(
        PREDICT_URL,
        content=f'{{"features": [1.0, 2.0, 3.0, {value}]}}',
        headers={**model_headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 422


def test_input_size_documented_in_schema(model_client: TestClient) -> None:
    schema = model_client.get("/api/v1/openapi.json").json()
    features = schema["components"]["schemas"]["PredictionRequest"]["properties"]
    assert features["features"]["minItems"] == INPUT_FEATURES
    assert features["features"]["maxItems"] == INPUT_FEATURES
