"""Token buckets in memory and, with TEST_RATE_LIMIT_STORAGE_URI, in Redis."""

import asyncio
import os
import uuid
from collections.abc import AsyncIterator

import pytest

from app.llm.token_bucket import (
    REDIS_KEY_PREFIX,
    MemoryTokenBucket,
    RedisTokenBucket,
    TokenReservation,
)

# The anyio pytest plugin runs the async tests on asyncio.
pytestmark = pytest.mark.anyio

REDIS_URI = os.environ.get("TEST_RATE_LIMIT_STORAGE_URI", "")
requires_redis = pytest.mark.skipif(
    not REDIS_URI.startswith("redis"),
    reason="Redis token bucket tests need TEST_RATE_LIMIT_STORAGE_URI=redis://...",
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def memory_bucket(
    capacity: int = 100, per_second: float = 10.0, max_keys: int = 100
) -> tuple[MemoryTokenBucket, FakeClock]:
    clock = FakeClock()
    return MemoryTokenBucket(capacity, per_second, max_keys, clock=clock), clock


async def test_memory_bucket_grants_until_spent() -> None:
    bucket, _clock = memory_bucket()
    first = await bucket.reserve("alice", 60)
    second = await bucket.reserve("alice", 40)
    third = await bucket.reserve("alice", 1)
    assert first.granted
    assert second.granted
    assert not third.granted


async def test_memory_bucket_retry_after() -> None:
    bucket, _clock = memory_bucket(capacity=100, per_second=10.0)
    await bucket.reserve("alice", 100)
    denied = await bucket.reserve("alice", 25)
    assert denied.retry_after == pytest.approx(2.5)


async def test_memory_bucket_refills_over_time() -> None:
    bucket, clock = memory_bucket(capacity=100, per_second=10.0)
    await bucket.reserve("alice", 100)
    clock.now += 2.0
    assert not (await bucket.reserve("alice", 21)).granted
    assert (await bucket.reserve("alice", 20)).granted


async def test_memory_bucket_refill_capped_at_capacity() -> None:
    bucket, clock = memory_bucket(capacity=100, per_second=10.0)
    await bucket.reserve("alice", 10)
    clock.now += 3600
    assert not (await bucket.reserve("alice", 101)).granted
    assert (await bucket.reserve("alice", 100)).granted


async def test_memory_bucket_keys_independent() -> None:
    bucket, _clock = memory_bucket()
    await bucket.reserve("alice", 100)
    assert (await bucket.reserve("bob", 100)).granted


async def test_memory_bucket_refund_and_charge() -> None:
    bucket, _clock = memory_bucket(capacity=100)
    await bucket.reserve("alice", 100)
    await bucket.adjust("alice", 30)
    assert (await bucket.reserve("alice", 30)).granted
    await bucket.adjust("alice", -50)
    denied = await bucket.reserve("alice", 1)
    assert denied.retry_after == pytest.approx(5.1)


async def test_memory_bucket_map_is_bounded() -> None:
    bucket, _clock = memory_bucket(max_keys=3)
    for key in ("a", "b", "c", "d", "e"):
        await bucket.reserve(key, 10)
    assert len(bucket) == 3


async def test_memory_bucket_evicts_full_buckets_first() -> None:
    bucket, clock = memory_bucket(capacity=100, per_second=10.0, max_keys=2)
    await bucket.reserve("spent", 100)
    await bucket.reserve("refilled", 5)
    clock.now += 1.0  # "refilled" is full again, "spent" has 10 tokens
    await bucket.reserve("new", 1)
    assert not (await bucket.reserve("spent", 11)).granted


async def test_reservation_settles_once() -> None:
    bucket, _clock = memory_bucket(capacity=100)
    await bucket.reserve("alice", 100)
    reservation = TokenReservation(bucket=bucket, key="alice", reserved=100)
    await reservation.settle(40)
    await reservation.settle(0)
    assert (await bucket.reserve("alice", 60)).granted
    assert not (await bucket.reserve("alice", 1)).granted


@pytest.fixture
async def redis_bucket() -> AsyncIterator[RedisTokenBucket]:
    bucket = RedisTokenBucket(REDIS_URI, capacity=10_000, refill_per_second=1.0)
    yield bucket
    await bucket.reset()
    await bucket.aclose()


@requires_redis
async def test_redis_bucket_grants_until_spent(redis_bucket: RedisTokenBucket) -> None:
    key = uuid.uuid4().hex
    assert (await redis_bucket.reserve(key, 6_000)).granted
    assert (await redis_bucket.reserve(key, 4_000)).granted
    denied = await redis_bucket.reserve(key, 1_000)
    assert not denied.granted
    assert denied.retry_after == pytest.approx(1_000, rel=0.01)


@requires_redis
async def test_redis_bucket_concurrent_reservations_exact(
    redis_bucket: RedisTokenBucket,
) -> None:
    key = uuid.uuid4().hex
    results = await asyncio.gather(
        *(redis_bucket.reserve(key, 1_000) for _ in range(50))
    )
    assert sum(result.granted for result in results) == 10


@requires_redis
async def test_redis_bucket_refund_and_charge(redis_bucket: RedisTokenBucket) -> None:
    key = uuid.uuid4().hex
    await redis_bucket.reserve(key, 10_000)
    await redis_bucket.adjust(key, 3_000)
    assert (await redis_bucket.reserve(key, 3_000)).granted
    await redis_bucket.adjust(key, -500)
    denied = await redis_bucket.reserve(key, 100)
    assert denied.retry_after == pytest.approx(600, rel=0.01)


@requires_redis
async def test_redis_bucket_refills_over_time() -> None:
    bucket = RedisTokenBucket(REDIS_URI, capacity=100, refill_per_second=100.0)
    key = uuid.uuid4().hex
    try:
        assert (await bucket.reserve(key, 100)).granted
        assert not (await bucket.reserve(key, 50)).granted
        await asyncio.sleep(0.6)
        assert (await bucket.reserve(key, 50)).granted
    finally:
        await bucket.reset()
        await bucket.aclose()


@requires_redis
async def test_redis_bucket_key_expires(redis_bucket: RedisTokenBucket) -> None:
    key = uuid.uuid4().hex
    await redis_bucket.reserve(key, 2_000)
    ttl_ms = await redis_bucket.client.pttl(REDIS_KEY_PREFIX + key)
    # 2,000 tokens at 1 token per second refill in 2,000 seconds, plus 1 second.
    assert 2_000_000 < ttl_ms <= 2_001_000


@requires_redis
async def test_redis_bucket_uses_redis_clock(redis_bucket: RedisTokenBucket) -> None:
    key = uuid.uuid4().hex
    await redis_bucket.reserve(key, 1)
    stored = await redis_bucket.client.hget(REDIS_KEY_PREFIX + key, "updated_at")
    server_seconds, _micro = await redis_bucket.client.time()
    assert abs(float(stored) / 1000 - server_seconds) < 5
