"""Changing the live configuration in a test, as reload-config would."""

from dataclasses import replace

from scheduler_project import live_config as live


def set_live(**changes) -> live.LiveValues:
    live._current = replace(live.current(), **changes)
    return live._current


def rate_limit(per_minute: int, burst: int = 0) -> live.LiveValues:
    return set_live(rate_limit=live.RateLimit(True, per_minute, burst, "api.rate_limiting"))
