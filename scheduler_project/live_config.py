"""The configuration keys that change without a restart, and config reload.

settings.CONFIG (and settings.TP) stay the start-up configuration: code that reads them
keeps its start-up values, so a key that needs a restart can never half-apply. What may change
live is read from here instead:

- rate limits: [api.rate_limiting] and [api.security] rate_limiting_enabled /
  max_requests_per_minute / burst_size;
- CORS: [api] cors_enabled / cors_origins and [api.security] cors_enabled / cors_origins /
  cors_max_age_seconds;
- body limits: [api.security] max_request_size_mb / max_json_payload_size_mb;
- [observability] log_level;
- API keys: [api.auth.api_keys] (provisioned again; API_KEYS from the environment is read
  at start, since a running process's environment cannot change).

POST /api/system/reload-config re-reads the files in the process that serves it, applies the
keys above, provisions the keys, and bumps a generation counter in Redis; every other process
of this instance's api role notices the new generation within REFRESH_SECONDS (checked by
LiveConfigMiddleware) and re-reads the files too.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from django.conf import settings

from scheduler_project import hooks
from scheduler_project.config import Config, load_config
from scheduler_project.logging_config import python_level
from scheduler_project.redis_store import keys
from scheduler_project.redis_store.client import get_redis

log = logging.getLogger(__name__)

REFRESH_SECONDS = 2.0
LIVE_KEYS = (
    "api.rate_limiting.enabled", "api.rate_limiting.max_requests_per_minute", "api.rate_limiting.burst_size",
    "api.security.rate_limiting_enabled", "api.security.max_requests_per_minute", "api.security.burst_size",
    "api.cors_enabled", "api.cors_origins", "api.security.cors_enabled", "api.security.cors_origins",
    "api.security.cors_max_age_seconds", "api.security.max_request_size_mb", "api.security.max_json_payload_size_mb",
    "observability.log_level", "api.auth.api_keys",
)
# Dicts whose keys are data, not configuration keys: compared whole, never listed by key
# (the keys of api.auth.api_keys are the API keys themselves).
OPAQUE = ("api.auth.api_keys",)


@dataclass(frozen=True)
class RateLimit:
    enabled: bool
    per_minute: int
    burst: int
    section: str  # which section decided: "api.rate_limiting" or "api.security"

    @property
    def capacity(self) -> int:
        """The bucket holds burst_size tokens, never more than a minute's worth; 0: a minute's worth."""
        return min(self.burst, self.per_minute) if self.burst > 0 else self.per_minute


@dataclass(frozen=True)
class Cors:
    enabled: bool
    origins: tuple[str, ...]
    max_age: int

    @property
    def allow_all(self) -> bool:
        return self.enabled and "*" in self.origins

    def allows(self, origin: str) -> bool:
        return self.enabled and (self.allow_all or origin.rstrip("/") in self.origins)


@dataclass(frozen=True)
class LiveValues:
    rate_limit: RateLimit
    cors: Cors
    max_request_bytes: int
    max_json_bytes: int
    log_level: str


def rate_limit_of(tp) -> RateLimit:
    """[api.rate_limiting] (the section the seed's environment files use) wins when enabled;
    else [api.security]'s duplicate keys when rate_limiting_enabled; else no limit."""
    rl, sec = tp.api.rate_limiting, tp.api.security
    if rl.enabled:
        return RateLimit(True, rl.max_requests_per_minute, rl.burst_size, "api.rate_limiting")
    if sec.rate_limiting_enabled:
        return RateLimit(True, sec.max_requests_per_minute, sec.burst_size, "api.security")
    return RateLimit(False, rl.max_requests_per_minute, rl.burst_size, "")


def cors_of(tp) -> Cors:
    """On when either section enables it; the allowed origins are both lists together
    ("*" allows any); the preflight max age is [api.security]'s."""
    api, sec = tp.api, tp.api.security
    origins: list[str] = []
    for origin in [*api.cors_origins, *sec.cors_origins]:
        origin = origin.strip().rstrip("/")
        if origin and origin not in origins:
            origins.append(origin)
    return Cors(api.cors_enabled or sec.cors_enabled, tuple(origins), sec.cors_max_age_seconds)


def values_of(config: Config) -> LiveValues:
    tp = config.settings
    return LiveValues(
        rate_limit=rate_limit_of(tp),
        cors=cors_of(tp),
        max_request_bytes=int(tp.api.security.max_request_size_mb * 1024 * 1024),
        max_json_bytes=int(tp.api.security.max_json_payload_size_mb * 1024 * 1024),
        log_level=tp.observability.log_level,
    )


_lock = threading.Lock()
_current: LiveValues | None = None
_seen_generation: str | None = None
_next_check = 0.0


def current() -> LiveValues:
    global _current
    if _current is None:
        _current = values_of(settings.CONFIG)
    return _current


def _apply(config: Config) -> LiveValues:
    global _current
    values = values_of(config)
    with _lock:
        previous, _current = _current, values
    if previous is None or previous.log_level != values.log_level:
        level = python_level(values.log_level)
        logging.getLogger().setLevel(level)
        logging.getLogger("celery").setLevel(level)
    settings.CORS_PREFLIGHT_MAX_AGE = values.cors.max_age
    return values


def _flatten(data: dict, prefix: str = "") -> dict:
    out = {}
    for key, value in data.items():
        path = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict) and path not in OPAQUE:
            out.update(_flatten(value, path))
        else:
            out[path] = value
    return out


def changed_keys(old: Config, new: Config) -> list[str]:
    a, b = _flatten(old.settings.model_dump()), _flatten(new.settings.model_dump())
    return sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))


def _generation_key() -> str:
    return keys.config_generation(settings.INSTANCE_ID)


def reload_config() -> dict:
    """Re-read the configuration, apply what can change live, provision the keys, tell the
    instance's other api processes. Raises ConfigError on a bad file (nothing applied).
    Reports key paths only, never values: some are secrets."""
    global _seen_generation
    new = load_config()
    changed = changed_keys(settings.CONFIG, new)
    _apply(new)
    provisioned = hooks.provision_config_keys(new.settings.api.auth.api_keys)
    try:
        _seen_generation = str(get_redis().incr(_generation_key()))
        propagated = True
    except Exception as exc:  # noqa: BLE001  the other processes keep their values until the next reload
        log.warning("config reload not propagated to the other api processes: %s", exc)
        propagated = False
    return {
        "files": [str(f) for f in new.files],
        "applied": [k for k in changed if k in LIVE_KEYS],
        "restart_required": [k for k in changed if k not in LIVE_KEYS],
        "live_keys": list(LIVE_KEYS),
        "api_keys": provisioned,
        "propagated": propagated,
    }


def remember_generation() -> None:
    """At start: the generation this process's freshly read files already include."""
    global _seen_generation
    try:
        _seen_generation = get_redis().get(_generation_key()) or ""
    except Exception:  # noqa: BLE001
        pass


def refresh_if_stale() -> None:
    """Cheap enough for every request: at most one Redis GET per REFRESH_SECONDS per process."""
    global _seen_generation, _next_check
    now = time.monotonic()
    if now < _next_check:
        return
    _next_check = now + REFRESH_SECONDS
    try:
        generation = get_redis().get(_generation_key())
    except Exception:  # noqa: BLE001  Redis away: keep the current values
        return
    if generation is None or generation == _seen_generation:
        return
    first_look = _seen_generation is None
    _seen_generation = generation
    if first_look:
        return  # this process read the files at start, after that reload
    try:
        _apply(load_config())
        log.info("configuration reloaded (generation %s)", generation)
    except Exception as exc:  # noqa: BLE001
        log.error("configuration reload (generation %s) failed, keeping the current values: %s", generation, exc)
