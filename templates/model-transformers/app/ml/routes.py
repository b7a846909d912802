"""The text classification route of the model loaded at startup."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request, status

from app.api.deps import CurrentUser
from app.core.inference import ServerBusyError, server_busy_error
from app.ml.loading import Classifier
from app.ml.schemas import ClassificationRequest, PredictionPublic

router = APIRouter(prefix="/model", tags=["model"])


def get_classifier(request: Request) -> Classifier:
    classifier: Classifier = request.state.classifier
    return classifier


ClassifierDep = Annotated[Classifier, Depends(get_classifier)]


@router.post(
    "/predict",
    responses={status.HTTP_503_SERVICE_UNAVAILABLE: {"description": "Model busy"}},
)
async def predict(
    body: ClassificationRequest, classifier: ClassifierDep, current_user: CurrentUser
) -> PredictionPublic:
    try:
        probabilities = await classifier.predict(body.text)
    except ServerBusyError:
        raise server_busy_error() from None
    best = max(range(len(probabilities)), key=probabilities.__getitem__)
    return PredictionPublic(
        label=classifier.labels[best],
        probabilities=dict(zip(classifier.labels, probabilities, strict=True)),
    )
