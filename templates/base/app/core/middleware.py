"""Pure ASGI middleware for security headers and a request body size limit."""

from collections.abc import Mapping

from fastapi import status
from fastapi.responses import JSONResponse
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# The API serves only JSON and downloads, so no page may load anything.
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
# Swagger UI and ReDoc load their scripts and styles from cdn.jsdelivr.net and run
# an inline start-up script. Docs are served only outside production.
DOCS_CSP = (
    "default-src 'none'; "
    "script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net "
    "https://fonts.googleapis.com; "
    "font-src https://fonts.gstatic.com; "
    "img-src 'self' data: https://fastapi.tiangolo.com https://cdn.redoc.ly; "
    "worker-src blob:; connect-src 'self'; frame-ancestors 'none'"
)
HSTS_VALUE = "max-age=31536000; includeSubDomains"


def security_headers(*, hsts: bool, csp: str = API_CSP) -> dict[str, str]:
    headers = {
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
        "Content-Security-Policy": csp,
        "Cross-Origin-Opener-Policy": "same-origin",
        "Cache-Control": "no-store",
    }
    if hsts:
        headers["Strict-Transport-Security"] = HSTS_VALUE
    return headers


class SecurityHeadersMiddleware:
    """Add security headers to every HTTP response that does not set them itself.

    HSTS should be on only where clients reach the service over HTTPS.
    """

    def __init__(
        self, app: ASGIApp, *, hsts: bool, docs_paths: frozenset[str] = frozenset()
    ) -> None:
        self.app = app
        self.docs_paths = docs_paths
        self.api_headers = security_headers(hsts=hsts)
        self.docs_headers = security_headers(hsts=hsts, csp=DOCS_CSP)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_docs = scope["path"] in self.docs_paths
        added = self.docs_headers if is_docs else self.api_headers

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in added.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)


class RequestBodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(
            status_code=status.HTTP_413_CONTENT_TOO_LARGE,
            detail=f"Request body exceeds the limit of {limit} bytes",
        )


class BodySizeLimitMiddleware:
    """Reject request bodies larger than a limit with 413.

    A declared Content-Length over the limit is rejected before the body is read.
    Bodies without one (chunked transfer encoding) are counted as they stream, and
    the read that crosses the limit raises RequestBodyTooLarge, which FastAPI
    passes to the HTTPException handler. `path_limits` maps a path prefix to its
    own limit, such as a larger one for uploads.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        path_limits: Mapping[str, int] | None = None,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.path_limits = dict(path_limits or {})

    def limit_for(self, path: str) -> int:
        for prefix, limit in self.path_limits.items():
            if path == prefix or path.startswith(prefix + "/"):
                return limit
        return self.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and not declared.isdigit():
            response = JSONResponse(
                {"detail": "Invalid Content-Length header"},
                status_code=status.HTTP_400_BAD_REQUEST,
            )
            await response(scope, receive, send)
            return
        if declared is not None and int(declared) > limit:
            await too_large_response(limit)(scope, receive, send)
            return

        received = 0
        response_started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise RequestBodyTooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except RequestBodyTooLarge:
            # Reached only when the app let the exception escape.
            if response_started:
                raise
            await too_large_response(limit)(scope, receive, send)


def too_large_response(limit: int) -> JSONResponse:
    return JSONResponse(
        {"detail": RequestBodyTooLarge(limit).detail},
        status_code=status.HTTP_413_CONTENT_TOO_LARGE,
    )
