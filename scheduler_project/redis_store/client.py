"""The platform's Redis ([scheduler.phase2.redis]): single server or cluster, one client per
process and configuration (get_redis), and its variant for counters (get_counting_redis)."""

from functools import lru_cache

import redis
from django.conf import settings
from redis.backoff import NoBackoff
from redis.cluster import ClusterNode, RedisCluster
from redis.retry import Retry

CONNECT_TIMEOUT = 5.0
SOCKET_TIMEOUT = 30.0  # above stream_block_ms (at most 20 s by the schema) and the SSE keep-alive (15 s)
COUNTING_TIMEOUT = 1.0


def get_redis() -> "redis.Redis | RedisCluster":
    p2 = settings.TP.scheduler.phase2.redis
    return _client(p2.mode, p2.url or settings.CONFIG.redis_url, tuple(p2.cluster_urls))


@lru_cache(maxsize=4)  # keyed by the configuration, so a changed one (tests, reload) gets its own client
def _client(mode: str, url: str, cluster_urls: tuple[str, ...]) -> "redis.Redis | RedisCluster":
    if mode == "cluster":
        parsed = [redis.connection.parse_url(u) for u in cluster_urls]
        nodes = [ClusterNode(p["host"], p.get("port", 6379)) for p in parsed]
        return RedisCluster(startup_nodes=nodes, decode_responses=True,
                            socket_connect_timeout=CONNECT_TIMEOUT, socket_timeout=SOCKET_TIMEOUT)
    # Bounded waits: a Redis that hangs (rather than refusing) must not hang the API with it.
    # Blocking reads (XREADGROUP BLOCK) stay well below socket_timeout.
    return redis.Redis.from_url(url, decode_responses=True, health_check_interval=30,
                                socket_connect_timeout=CONNECT_TIMEOUT, socket_timeout=SOCKET_TIMEOUT)


def get_counting_redis() -> "redis.Redis | RedisCluster":
    """The same Redis with short timeouts and no retries, for the metrics counters: a hung Redis
    costs a caller at most COUNTING_TIMEOUT, and a command is never re-sent (a re-sent HINCRBY
    would count twice). A cluster uses the shared client."""
    p2 = settings.TP.scheduler.phase2.redis
    if p2.mode == "cluster":
        return get_redis()
    return _counting(p2.url or settings.CONFIG.redis_url)


@lru_cache(maxsize=4)
def _counting(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, decode_responses=True, socket_timeout=COUNTING_TIMEOUT,
                                socket_connect_timeout=COUNTING_TIMEOUT, retry=Retry(NoBackoff(), 0))


def key(*parts: str) -> str:
    """A key under this environment's prefix: key("schedulers", "presence", id)."""
    return ":".join((settings.TP.scheduler.phase2.redis.key_prefix, *parts))
