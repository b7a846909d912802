"""Exception handlers that return JSON and keep internal details in the logs."""

import logging
import uuid

from fastapi import FastAPI, Request, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from slowapi.errors import RateLimitExceeded
from starlette.exceptions import HTTPException

from app.core.middleware import security_headers
from app.core.rate_limit import retry_after_seconds, too_many_requests

logger = logging.getLogger(__name__)

# Pydantic also reports `input` (the rejected value, which may be a password),
# `ctx` and `url`. Only these keys reach the client.
VALIDATION_ERROR_KEYS = ("type", "loc", "msg")
BODYLESS_STATUS_CODES = {status.HTTP_204_NO_CONTENT, status.HTTP_304_NOT_MODIFIED}


async def http_exception_handler(request: Request, exc: HTTPException) -> Response:
    if exc.status_code in BODYLESS_STATUS_CODES:
        return Response(status_code=exc.status_code, headers=exc.headers)
    return JSONResponse(
        {"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers
    )


async def validation_exception_handler(
    request: Request, exc: RequestValidationError
) -> JSONResponse:
    errors = [
        {key: error[key] for key in VALIDATION_ERROR_KEYS if key in error}
        for error in exc.errors()
    ]
    return JSONResponse(
        {"detail": errors}, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT
    )


async def rate_limit_exceeded_handler(
    request: Request, exc: RateLimitExceeded
) -> Response:
    """Return the same 429 response for `@limiter.limit` limits as for the others."""
    # slowapi stores the limit that failed and its storage keys here.
    item, identifiers = request.state.view_rate_limit
    error = too_many_requests(retry_after_seconds(item, *identifiers))
    return await http_exception_handler(request, error)


async def unhandled_exception_handler(request: Request, exc: Exception) -> JSONResponse:
    """Log the traceback under a new error id and return only that id.

    Starlette runs this handler outside all middleware, so it adds the security
    headers itself.
    """
    error_id = uuid.uuid4()
    logger.error(
        "Unhandled error %s on %s %s",
        error_id,
        request.method,
        request.url.path,
        exc_info=exc,
    )
    hsts = request.app.state.settings.is_production
    return JSONResponse(
        {"detail": "Internal server error", "error_id": str(error_id)},
        status_code=status.HTTP_500_INTERNAL_SERVER_ERROR,
        headers=security_headers(hsts=hsts),
    )


def register_exception_handlers(app: FastAPI) -> None:
    app.add_exception_handler(HTTPException, http_exception_handler)
    app.add_exception_handler(RequestValidationError, validation_exception_handler)
    app.add_exception_handler(RateLimitExceeded, rate_limit_exceeded_handler)
    app.add_exception_handler(Exception, unhandled_exception_handler)
