"""Authentication of LLM callers: clients with an API key.

The caller id keys the token budget and appears in logs; it never contains the
key.
"""

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends

from app.core.api_keys import APIKeyIdDep


@dataclass(frozen=True)
class LLMCaller:
    id: str
    """`key:<first 16 hex digits of the key's digest>`."""


def get_llm_caller(key_id: APIKeyIdDep) -> LLMCaller:
    return LLMCaller(id=f"key:{key_id}")


LLMCallerDep = Annotated[LLMCaller, Depends(get_llm_caller)]
