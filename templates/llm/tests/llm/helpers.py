"""Helpers shared by the LLM test modules."""

import json
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from fastapi.testclient import TestClient

from app.llm.api_keys import KEY_ID_CHARS, hash_api_key
from app.llm.service import LLMService
from tests.llm.environment import API_KEY, OTHER_API_KEY

ResultT = TypeVar("ResultT")

GENERATE_URL = "/api/v1/llm/generate"
STREAM_URL = "/api/v1/llm/stream"
API_KEY_CALLER = f"key:{hash_api_key(API_KEY)[:KEY_ID_CHARS]}"
OTHER_API_KEY_CALLER = f"key:{hash_api_key(OTHER_API_KEY)[:KEY_ID_CHARS]}"


def llm_service(client: TestClient) -> LLMService:
    """The LLM service in the lifespan state of a started test client."""
    service: LLMService = client.app_state["llm"]
    return service


def run_async(
    client: TestClient, function: Callable[..., Awaitable[ResultT]], *args: Any
) -> ResultT:
    """Run a coroutine function on the event loop of a started test client,
    where the application's Redis connections live."""
    assert client.portal is not None
    return client.portal.call(function, *args)


def chat_body(text: str = "hello", **fields: Any) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": text}], **fields}


def parse_events(stream_text: str) -> list[tuple[str, Any]]:
    """Parse a server-sent event stream into (event name, decoded data) pairs."""
    events = []
    for block in stream_text.split("\n\n"):
        name = "message"
        data_lines = []
        for line in block.splitlines():
            if line.startswith("event:"):
                name = line.removeprefix("event:").strip()
            elif line.startswith("data:"):
                data_lines.append(line.removeprefix("data:").strip())
        if data_lines:
            events.append((name, json.loads("\n".join(data_lines))))
    return events


def streamed_text(events: list[tuple[str, Any]]) -> str:
    return "".join(data["text"] for name, data in events if name == "message")
