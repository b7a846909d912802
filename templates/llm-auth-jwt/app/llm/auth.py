"""Authentication of LLM callers: users with a bearer token, or clients with an
API key.

When both are sent, the API key decides. The caller id keys the token budget
and appears in logs; it never contains the key or the token.
"""

import logging
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer

from app.api.deps import credentials_error, get_current_user
from app.core.config import SettingsDep, get_settings
from app.llm.api_keys import API_KEY_HEADER, match_api_key

logger = logging.getLogger(__name__)

api_key_header = APIKeyHeader(
    name=API_KEY_HEADER,
    auto_error=False,
    description="An API key whose SHA-256 digest is in LLM_API_KEY_HASHES",
)
optional_bearer = OAuth2PasswordBearer(
    tokenUrl=f"{get_settings().API_PREFIX}/auth/token", auto_error=False
)


@dataclass(frozen=True)
class LLMCaller:
    id: str
    """`user:<user id>` or `key:<first 16 hex digits of the key's digest>`."""


def api_key_error(detail: str) -> HTTPException:
    # FastAPI's APIKeyHeader sends the same challenge; no standard one exists.
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail=detail,
        headers={"WWW-Authenticate": "APIKey"},
    )


def caller_from_api_key(
    request: Request, api_key: str, digests: list[str]
) -> LLMCaller:
    key_id = match_api_key(api_key, digests)
    if key_id is None:
        client = request.client.host if request.client else "unknown"
        logger.warning("Rejected an invalid API key from %s", client)
        raise api_key_error("Invalid API key")
    return LLMCaller(id=f"key:{key_id}")


def get_llm_caller(
    request: Request,
    settings: SettingsDep,
    api_key: Annotated[str | None, Depends(api_key_header)],
    token: Annotated[str | None, Depends(optional_bearer)],
) -> LLMCaller:
    if api_key is not None:
        return caller_from_api_key(request, api_key, settings.LLM_API_KEY_HASHES)
    if token is None:
        raise credentials_error()
    # A session of its own, closed before generation starts, so that a long
    # stream does not hold a database connection.
    with request.app.state.session_factory() as session:
        user = get_current_user(session, token, settings)
    return LLMCaller(id=f"user:{user.id}")


LLMCallerDep = Annotated[LLMCaller, Depends(get_llm_caller)]
