"""Authentication of LLM callers: users with a bearer token, or clients with an
API key.

When both are sent, the API key decides. The caller id keys the token budget
and appears in logs; it never contains the key or the token.
"""

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from app.api.deps import credentials_error, get_current_user
from app.core.api_keys import api_key_header, verify_api_key
from app.core.config import SettingsDep, get_settings

optional_bearer = OAuth2PasswordBearer(
    tokenUrl=f"{get_settings().API_PREFIX}/auth/token", auto_error=False
)


@dataclass(frozen=True)
class LLMCaller:
    id: str
    """`user:<user id>` or `key:<first 16 hex digits of the key's digest>`."""


def get_llm_caller(
    request: Request,
    settings: SettingsDep,
    api_key: Annotated[str | None, Depends(api_key_header)],
    token: Annotated[str | None, Depends(optional_bearer)],
) -> LLMCaller:
    if api_key is not None:
        key_id = verify_api_key(request, api_key, settings.API_KEY_HASHES)
        return LLMCaller(id=f"key:{key_id}")
    if token is None:
        raise credentials_error()
    # A session of its own, closed before generation starts, so that a long
    # stream does not hold a database connection.
    with request.app.state.session_factory() as session:
        user = get_current_user(session, token, settings)
    return LLMCaller(id=f"user:{user.id}")


LLMCallerDep = Annotated[LLMCaller, Depends(get_llm_caller)]
