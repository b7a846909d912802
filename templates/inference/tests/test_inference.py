"""The safetensors header check and the inference concurrency limit."""

import threading
import time
from pathlib import Path

import anyio
import pytest
import torch
from safetensors.torch import save_file

from app.core.inference import (
    InferenceLimiter,
    ModelLoadError,
    ServerBusyError,
    check_safetensors_file,
)


@pytest.mark.anyio
async def test_inference_runs_in_worker_thread() -> None:
    limiter = InferenceLimiter(max_concurrency=1, queue_timeout=1.0)
    thread_id = await limiter.run_sync(threading.get_ident)
    assert thread_id != threading.get_ident()


@pytest.mark.anyio
async def test_concurrency_limited() -> None:
    limiter = InferenceLimiter(max_concurrency=2, queue_timeout=10.0)
    lock = threading.Lock()
    running = 0
    peak = 0

    def work() -> None:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.05)
        with lock:
            running -= 1

    async with anyio.create_task_group() as group:
        for _ in range(6):
            group.start_soon(limiter.run_sync, work)
    assert peak == 2


@pytest.mark.anyio
async def test_full_queue_times_out() -> None:
    limiter = InferenceLimiter(max_concurrency=1, queue_timeout=0.05)
    async with limiter.slot():
        with pytest.raises(ServerBusyError):
            await limiter.run_sync(lambda: None)


def test_valid_safetensors_accepted(tmp_path: Path) -> None:
    weights = tmp_path / "weights.safetensors"
    save_file({"weight": torch.zeros(2)}, weights)
    check_safetensors_file(weights, "MODEL_PATH")


def test_directory_is_not_weights(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="is not a file"):
        check_safetensors_file(tmp_path, "MODEL_PATH")
