"""Rate limiting shared by every process and instance: a token bucket per caller in Redis.

Algorithm: each caller (an API key, a user, or for anonymous requests the client address) has
a bucket that holds at most `capacity` tokens and refills continuously at
max_requests_per_minute / 60 tokens per second; a request takes one token or is refused with
429 and Retry-After = the seconds until one token is back. capacity = burst_size, capped at
max_requests_per_minute (burst_size = 0: a full minute's worth). So from a full bucket,
`capacity` requests pass at once and then one per 60/max_requests_per_minute seconds; with
burst_size >= max_requests_per_minute = N, request N+1 of a burst is refused.

The refill and the take are one Lua script (atomic in Redis, on Redis's own clock, so
processes on different hosts agree); state is a hash {tokens, ts} that expires once it would
be full again. Which section's values apply: scheduler_project.live_config.rate_limit_of().
If Redis cannot be reached the request is let through (logged, at most once a minute): rate
limiting must not take the API down with it.
"""

from __future__ import annotations

import logging
import math
import time

from rest_framework.throttling import BaseThrottle

from scheduler_project import live_config
from scheduler_project.api.principal import principal_of
from scheduler_project.redis_store import keys
from scheduler_project.redis_store.client import get_redis

log = logging.getLogger(__name__)

TOKEN_BUCKET = """
if redis.replicate_commands then pcall(redis.replicate_commands) end
local capacity = tonumber(ARGV[1])
local per_ms = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil or ts == nil then
  tokens = capacity
  ts = now
end
tokens = math.min(capacity, tokens + math.max(0, now - ts) * per_ms)
local allowed = 0
local wait_ms = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  wait_ms = math.ceil((1 - tokens) / per_ms)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / per_ms) + 1000)
return {allowed, wait_ms}
"""

_scripts: dict[int, object] = {}
_last_warning = 0.0


def bucket_key(ident: str) -> str:
    return keys.rate_limit_bucket(ident)


def take(ident: str, limit: live_config.RateLimit) -> tuple[bool, float]:
    """(allowed, seconds to wait). One round trip."""
    client = get_redis()
    script = _scripts.get(id(client))
    if script is None:
        script = _scripts[id(client)] = client.register_script(TOKEN_BUCKET)
    per_ms = limit.per_minute / 60000.0
    allowed, wait_ms = script(keys=[bucket_key(ident)], args=[limit.capacity, repr(per_ms)])
    return bool(allowed), int(wait_ms) / 1000.0


class RedisTokenBucketThrottle(BaseThrottle):
    def __init__(self):
        self._wait = None

    def allow_request(self, request, view):
        global _last_warning
        limit = live_config.current().rate_limit
        if not limit.enabled:
            return True
        try:
            allowed, self._wait = take(principal_of(request).throttle_ident, limit)
        except Exception as exc:  # noqa: BLE001  fail open, see the module docstring
            if time.monotonic() - _last_warning > 60:
                _last_warning = time.monotonic()
                log.warning("rate limiting skipped: Redis unavailable (%s)", exc)
            return True
        return allowed

    def wait(self):
        return None if self._wait is None else max(1, math.ceil(self._wait))
