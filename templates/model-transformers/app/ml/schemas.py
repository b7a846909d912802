"""Request and response models of the text classification route."""

from pydantic import BaseModel, ConfigDict, Field

MAX_TEXT_CHARS = 4_000


class ClassificationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=MAX_TEXT_CHARS)


class PredictionPublic(BaseModel):
    label: str
    probabilities: dict[str, float]
