"""Request and response models of the prediction route."""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from app.ml.architecture import INPUT_FEATURES

# Finite values within a range that float32 represents exactly enough for the
# model; NaN and infinity are rejected. Strict mode takes JSON numbers only, so
# "1.5" and true are rejected instead of converted.
FEATURE_LIMIT = 1e6

Feature = Annotated[
    float,
    Field(strict=True, ge=-FEATURE_LIMIT, le=FEATURE_LIMIT, allow_inf_nan=False),
]


class PredictionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    features: list[Feature] = Field(
        min_length=INPUT_FEATURES,
        max_length=INPUT_FEATURES,
        description=f"Exactly {INPUT_FEATURES} numbers, in the order of training",
    )


class PredictionPublic(BaseModel):
    label: str
    probabilities: dict[str, float]
