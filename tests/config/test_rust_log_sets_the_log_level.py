"""RUST_LOG, the old system's log filter, sets log_level to the most verbose level it names;
LOG_LEVEL, ours, wins; what cannot be read is a warning naming the variable."""

import pytest

from tests.config.helpers import load


@pytest.mark.parametrize("value, level", [
    ("info", "info"),
    ("scheduler=debug,tower=info", "debug"),
    ("warn,scheduler::api=trace", "trace"),
    ("ERROR", "error"),
    ("off", "critical"),
    ("scheduler=info/some.*regex", "info"),
])
def test_the_most_verbose_level_wins(value, level):
    config = load(RUST_LOG=value)
    assert config.settings.observability.log_level == level
    assert [(m.key, m.value) for m in config.mapped] == [("observability.log_level", level)]


def test_log_level_wins_over_rust_log():
    assert load(RUST_LOG="debug", LOG_LEVEL="error").settings.observability.log_level == "error"


def test_an_unreadable_directive_is_a_warning_not_a_refusal():
    config = load(RUST_LOG="scheduler=loud,info")
    assert config.settings.observability.log_level == "info"
    (warning,) = config.warnings
    assert warning.path == "RUST_LOG" and "'loud' is not a level" in warning.message
    assert warning.source == "environment variable RUST_LOG"


def test_a_bare_target_enables_every_level_as_env_logger_does():
    config = load(RUST_LOG="scheduler")
    assert config.settings.observability.log_level == "trace"
    assert "read as a target" in config.warnings[0].message
