"""Back to the start-up configuration between tests (reload-config tests change the live values)."""

from scheduler_project import live_config


def reset_live_config() -> None:
    live_config._current, live_config._seen_generation, live_config._next_check = None, None, 0.0
