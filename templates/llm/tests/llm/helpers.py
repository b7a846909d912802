"""Helpers shared by the LLM test modules."""

import json
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
from fastapi.testclient import TestClient

from app.core.api_keys import KEY_ID_CHARS, hash_api_key
from app.llm.service import LLMService
from tests.api_keys import API_KEY, OTHER_API_KEY

ResultT = TypeVar("ResultT")

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SERVER_STARTUP_SECONDS = 90
SERVER_STOP_SECONDS = 30

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


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class ServerProcess:
    """The application under `uvicorn app.main:app` in a subprocess on 127.0.0.1."""

    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def wait_until_live(self) -> None:
        """Poll the liveness route until it returns 200, or raise RuntimeError
        when the process exits or SERVER_STARTUP_SECONDS pass."""
        deadline = time.monotonic() + SERVER_STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"Server at {self.url} exited with {self.process.returncode}. "
                    f"Its output is in {self.log_path}"
                )
            try:
                if httpx.get(f"{self.url}/api/v1/health/live").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise RuntimeError(
            f"Server at {self.url} did not start in {SERVER_STARTUP_SECONDS} s. "
            f"Its output is in {self.log_path}"
        )

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=SERVER_STOP_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_server(environment: dict[str, str], log_path: Path) -> ServerProcess:
    """Start the application on a free port with the given environment, writing
    its output to log_path. Call wait_until_live before sending requests."""
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "app.main:app"]
    command += ["--host", "127.0.0.1", "--port", str(port)]
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 (fixed command, no shell)
            command, cwd=PROJECT_ROOT, env=environment, stdout=log, stderr=log
        )
    return ServerProcess(f"http://127.0.0.1:{port}", process, log_path)
