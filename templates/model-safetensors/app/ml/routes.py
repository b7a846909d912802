"""The prediction route of the classifier loaded at startup."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request, status

from app.api.deps import CurrentUser
from app.core.inference import ServerBusyError, server_busy_error
from app.ml.architecture import CLASS_LABELS
from app.ml.loading import Classifier
from app.ml.schemas import PredictionPublic, PredictionRequest

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
    body: PredictionRequest, classifier: ClassifierDep, current_user: CurrentUser
) -> PredictionPublic:
    try:
        probabilities = await classifier.predict(body.features)
    except ServerBusyError:
        raise server_busy_error() from None
    best = max(range(len(probabilities)), key=probabilities.__getitem__)
    return PredictionPublic(
        label=CLASS_LABELS[best],
        probabilities=dict(zip(CLASS_LABELS, probabilities, strict=True)),
    )
