"""Request rate limits, counted by slowapi's limiter in the configured storage.

Clients are keyed by `request.client.host`. Behind a reverse proxy, uvicorn
sets it from X-Forwarded-For only for proxies listed in --forwarded-allow-ips,
so a client cannot choose its own key by sending that header.

slowapi attaches route limits (`@limiter.limit`) to one Limiter object when the
route modules are imported, so the limiter is built once per process from
get_settings().
"""

import math
import time

from fastapi import HTTPException, Request, status
from limits import RateLimitItem, parse
from slowapi import Limiter
from slowapi.util import get_remote_address

from app.core.config import Settings, SettingsDep, get_settings

DEFAULT_LIMIT_NAMESPACE = "default"


def build_limiter(settings: Settings) -> Limiter:
    # The moving window counts the requests in the last period, so a client cannot
    # send twice the limit around the boundary of a fixed window.
    return Limiter(
        key_func=get_remote_address,
        storage_uri=settings.RATE_LIMIT_STORAGE_URI,
        strategy="moving-window",
    )


limiter = build_limiter(get_settings())


def retry_after_seconds(item: RateLimitItem, *identifiers: str) -> int:
    """Seconds until the moving window has room for one more request."""
    reset_at, _remaining = limiter.limiter.get_window_stats(item, *identifiers)
    return max(1, math.ceil(reset_at - time.time()))


def too_many_requests(
    retry_after: int, detail: str = "Too many requests. Try again later"
) -> HTTPException:
    return HTTPException(
        status_code=status.HTTP_429_TOO_MANY_REQUESTS,
        detail=detail,
        headers={"Retry-After": str(retry_after)},
    )


def enforce_default_rate_limit(request: Request, settings: SettingsDep) -> None:
    """Count the request against DEFAULT_RATE_LIMIT for the client address,
    summed over all routes, and raise 429 when over it.

    This is a dependency of the whole application instead of slowapi's
    middleware, because with FastAPI 0.137 and later that middleware (slowapi
    0.1.10) does not find routes added with include_router and lets them through
    unlimited. As a sync dependency it also keeps Redis calls off the event loop.
    """
    if not limiter.enabled:
        return
    item = parse(settings.DEFAULT_RATE_LIMIT)
    identifiers = (DEFAULT_LIMIT_NAMESPACE, get_remote_address(request))
    if not limiter.limiter.hit(item, *identifiers):
        raise too_many_requests(retry_after_seconds(item, *identifiers))
