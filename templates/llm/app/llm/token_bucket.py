"""Token buckets that limit how many LLM tokens each caller spends.

A bucket contains up to `capacity` tokens and refills at a constant rate. A request
reserves its prompt tokens plus `max_tokens` before generation, and the unused
part is refunded afterwards. An upstream server may report more tokens than
were reserved. The refund is then negative, so the bucket can go below zero
and the caller waits longer.

RATE_LIMIT_STORAGE_URI selects the storage: memory:// keeps buckets in this
process, redis:// or rediss:// keeps them in Redis, where one Lua script reads,
refills and updates a bucket atomically, so every worker process and replica
shares one budget.
"""

import logging
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from app.core.config import Settings

logger = logging.getLogger(__name__)

REDIS_KEY_PREFIX = "llm-token-bucket:"
REDIS_SCHEMES = ("redis", "rediss")
REDIS_TIMEOUT_SECONDS = 5.0

# KEYS[1]: the bucket. ARGV: capacity, refill rate in tokens per millisecond,
# amount, and "reserve" (take the amount only if that many tokens are there) or
# "adjust" (add the amount, which may be negative).
# The time comes from Redis, so clocks of the app servers do not matter. The
# key expires when the bucket would be full again, which is the same as absent.
BUCKET_LUA_SCRIPT = """
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local amount = tonumber(ARGV[3])
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000 + tonumber(now_parts[2]) / 1000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'updated_at')
local tokens = tonumber(state[1])
local updated_at = tonumber(state[2])
if tokens == nil or updated_at == nil then
  tokens = capacity
else
  tokens = math.min(capacity, tokens + math.max(0, now - updated_at) * rate)
end
local granted = 1
local wait_ms = 0
if ARGV[4] == 'reserve' then
  if tokens >= amount then
    tokens = tokens - amount
  else
    granted = 0
    wait_ms = math.ceil((amount - tokens) / rate)
  end
else
  tokens = math.min(capacity, tokens + amount)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'updated_at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - tokens) / rate) + 1000)
return {granted, wait_ms}
"""


class TokenBucketUnavailableError(Exception):
    """The bucket storage did not respond."""


@dataclass(frozen=True)
class Reservation:
    granted: bool
    retry_after: float = 0.0
    """Seconds until the bucket contains enough tokens, when not granted."""


class TokenBucket(Protocol):
    capacity: int

    async def reserve(self, key: str, tokens: int) -> Reservation: ...

    async def adjust(self, key: str, tokens: int) -> None: ...

    async def reset(self) -> None: ...

    async def aclose(self) -> None: ...


@dataclass
class BucketState:
    tokens: float
    updated_at: float


class MemoryTokenBucket:
    """Token buckets in this process, at most `max_keys` of them.

    A bucket that has refilled completely is the same as no bucket, so those are
    dropped first when the map is full. If all are partly spent, the least
    recently used one is dropped and that caller starts again with a full
    bucket, so keep `max_keys` above the number of active callers.
    """

    def __init__(
        self,
        capacity: int,
        refill_per_second: float,
        max_keys: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.capacity = capacity
        self.refill_per_second = refill_per_second
        self.max_keys = max_keys
        self.clock = clock
        self._buckets: OrderedDict[str, BucketState] = OrderedDict()
        # Test clients and worker threads may call from other event loops.
        self._lock = threading.Lock()

    def _refill(self, state: BucketState, now: float) -> None:
        elapsed = max(0.0, now - state.updated_at)
        state.tokens = min(
            self.capacity, state.tokens + elapsed * self.refill_per_second
        )
        state.updated_at = now

    def _bucket(self, key: str, now: float) -> BucketState:
        state = self._buckets.get(key)
        if state is not None:
            self._refill(state, now)
            self._buckets.move_to_end(key)
            return state
        if len(self._buckets) >= self.max_keys:
            self._evict(now)
        state = BucketState(tokens=self.capacity, updated_at=now)
        self._buckets[key] = state
        return state

    def _evict(self, now: float) -> None:
        for key, state in list(self._buckets.items()):
            self._refill(state, now)
            if state.tokens >= self.capacity:
                del self._buckets[key]
        while len(self._buckets) >= self.max_keys:
            self._buckets.popitem(last=False)

    async def reserve(self, key: str, tokens: int) -> Reservation:
        with self._lock:
            state = self._bucket(key, self.clock())
            if state.tokens >= tokens:
                state.tokens -= tokens
                return Reservation(granted=True)
            missing = tokens - state.tokens
        return Reservation(granted=False, retry_after=missing / self.refill_per_second)

    async def adjust(self, key: str, tokens: int) -> None:
        with self._lock:
            state = self._bucket(key, self.clock())
            state.tokens = min(self.capacity, state.tokens + tokens)

    async def reset(self) -> None:
        with self._lock:
            self._buckets.clear()

    async def aclose(self) -> None:
        return None

    def __len__(self) -> int:
        return len(self._buckets)


class RedisTokenBucket:
    """Token buckets in Redis, shared by every process that uses the same database."""

    def __init__(self, storage_uri: str, capacity: int, refill_per_second: float):
        # Imported here so that the redis package is needed only with Redis storage.
        from redis.asyncio import Redis

        self.capacity = capacity
        self.refill_per_millisecond = refill_per_second / 1000
        self.client = Redis.from_url(
            storage_uri,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
        )
        self.script = self.client.register_script(BUCKET_LUA_SCRIPT)

    async def _run(self, key: str, tokens: int, mode: str) -> list[int]:
        from redis.exceptions import RedisError

        arguments = [self.capacity, repr(self.refill_per_millisecond), tokens, mode]
        try:
            result: list[int] = await self.script(
                keys=[REDIS_KEY_PREFIX + key], args=arguments
            )
        except RedisError as error:
            logger.error("Token bucket storage failed for %s: %s", key, error)
            raise TokenBucketUnavailableError from error
        return result

    async def reserve(self, key: str, tokens: int) -> Reservation:
        granted, wait_ms = await self._run(key, tokens, "reserve")
        if granted:
            return Reservation(granted=True)
        return Reservation(granted=False, retry_after=wait_ms / 1000)

    async def adjust(self, key: str, tokens: int) -> None:
        await self._run(key, tokens, "adjust")

    async def reset(self) -> None:
        """Delete every bucket. For tests, on a Redis database of their own."""
        keys = [key async for key in self.client.scan_iter(f"{REDIS_KEY_PREFIX}*")]
        if keys:
            await self.client.delete(*keys)

    async def aclose(self) -> None:
        await self.client.aclose()


def build_token_bucket(settings: Settings) -> TokenBucket:
    refill_per_second = settings.LLM_TOKENS_PER_MINUTE / 60
    scheme = settings.RATE_LIMIT_STORAGE_URI.partition("://")[0]
    if scheme == "memory":
        return MemoryTokenBucket(
            settings.LLM_TOKEN_BUDGET,
            refill_per_second,
            settings.LLM_TOKEN_BUCKET_MAX_KEYS,
        )
    if scheme in REDIS_SCHEMES:
        return RedisTokenBucket(
            settings.RATE_LIMIT_STORAGE_URI,
            settings.LLM_TOKEN_BUDGET,
            refill_per_second,
        )
    raise RuntimeError(
        f"LLM token budgets support RATE_LIMIT_STORAGE_URI memory://, redis:// "
        f"and rediss://, not {scheme}://"
    )


@dataclass
class TokenReservation:
    """Tokens taken from a caller's bucket for one request."""

    bucket: TokenBucket
    key: str
    reserved: int
    settled: bool = False

    async def settle(self, used: int) -> None:
        """Return the reserved tokens that were not used, once per request."""
        if self.settled:
            return
        self.settled = True
        if used == self.reserved:
            return
        try:
            await self.bucket.adjust(self.key, self.reserved - used)
        except TokenBucketUnavailableError:
            logger.warning(
                "Could not return %d tokens to %s", self.reserved - used, self.key
            )


def retry_after_header(seconds: float) -> int:
    return max(1, math.ceil(seconds))
