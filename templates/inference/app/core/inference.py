"""Helpers shared by the model-serving features: a check that a weights file is
safetensors, and a per-process limit on concurrent inference.
"""

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TypeVar

import anyio
from fastapi import HTTPException, status

ResultT = TypeVar("ResultT")

# A safetensors file starts with the size of its JSON header as an unsigned
# 64-bit little-endian integer. The safetensors library rejects headers over
# 100 MB, and so does this check.
SAFETENSORS_SIZE_BYTES = 8
SAFETENSORS_MAX_HEADER_BYTES = 100_000_000
PICKLE_PROTOCOL_OPCODE = b"\x80"
ZIP_SIGNATURE = b"PK\x03\x04"


class ModelLoadError(RuntimeError):
    """A model could not be loaded at startup. The message names the setting."""


class ServerBusyError(Exception):
    """No inference slot became free within the queue timeout."""


def describe_non_safetensors(prefix: bytes) -> str:
    if prefix.startswith(PICKLE_PROTOCOL_OPCODE):
        return "it starts with a pickle opcode"
    if prefix.startswith(ZIP_SIGNATURE):
        return "it is a ZIP archive, such as a torch.save checkpoint"
    return "it has no valid safetensors header"


def check_safetensors_file(path: Path, setting: str) -> None:
    """Raise ModelLoadError unless `path` is a file with a safetensors header.

    The header is read as data and never executed, so a pickle planted in place
    of the weights is rejected before any loader opens it.
    """
    if not path.is_file():
        raise ModelLoadError(f"{setting} {path} is not a file")
    file_size = path.stat().st_size
    with path.open("rb") as weights:
        prefix = weights.read(SAFETENSORS_SIZE_BYTES)
        header_size = int.from_bytes(prefix, "little")
        valid_size = (
            len(prefix) == SAFETENSORS_SIZE_BYTES
            and 2 <= header_size <= SAFETENSORS_MAX_HEADER_BYTES
            and header_size <= file_size - SAFETENSORS_SIZE_BYTES
        )
        header = weights.read(header_size) if valid_size else b""
    try:
        parsed = json.loads(header) if header.startswith(b"{") else None
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        raise ModelLoadError(
            f"{setting} {path} is not a safetensors file "
            f"({describe_non_safetensors(prefix)}). Pickle-based checkpoints can "
            "run code when loaded, so convert the weights to safetensors"
        )


class InferenceLimiter:
    """Bound the number of inferences that run at once in this process.

    A request waits at most `queue_timeout` seconds for a free slot, then gets
    ServerBusyError, so a burst of requests cannot queue without limit.
    """

    def __init__(self, max_concurrency: int, queue_timeout: float) -> None:
        self.queue_timeout = queue_timeout
        self._semaphore = anyio.Semaphore(max_concurrency)

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        try:
            with anyio.fail_after(self.queue_timeout):
                await self._semaphore.acquire()
        except TimeoutError:
            raise ServerBusyError from None
        try:
            yield
        finally:
            self._semaphore.release()

    async def run_sync(self, func: Callable[[], ResultT]) -> ResultT:
        """Run a blocking function in a worker thread while holding a slot.

        A cancelled request waits for the thread to finish, so the slot stays
        taken for as long as the computation really runs.
        """
        async with self.slot():
            return await anyio.to_thread.run_sync(func)


def server_busy_error(retry_after: int = 1) -> HTTPException:
    return HTTPException(
        status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
        detail="The model is busy. Try again later",
        headers={"Retry-After": str(retry_after)},
    )
