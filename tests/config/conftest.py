"""Helpers for the configuration tests: the guides' files and a loader that keeps the
process's own environment out."""

from __future__ import annotations

from pathlib import Path

import pytest

from scheduler_project.config import load_config

SEEDS = Path(__file__).parent / "seeds"
GUIDE_FILES = sorted(SEEDS.glob("guide*/*.toml"))

# What the guides' ${VAR}s need, as an operator following them would have set.
GUIDE_ENV = {
    "DATABASE_URL": "postgresql://user:pass@db:5432/scheduler",
    "MESSAGE_QUEUE_TYPE": "rabbitmq",
    "MESSAGE_QUEUE_URL": "amqp://user:pass@mq:5672//",
    "JWT_SECRET": "your-secret-key",
    "FRONTEND_URL": "https://your-frontend.com",
    "STAGING_DATABASE_URL": "postgresql://user:pass@staging-db:5432/scheduler",
    "STAGING_MESSAGE_QUEUE_URL": "amqp://user:pass@staging-mq:5672//",
    "STAGING_JWT_SECRET": "staging-secret",
    "INSTANCE_ID": "scheduler-1",
}


def load(*files, **env):
    """load_config on exactly these files and this environment (nothing from the process's)."""
    return load_config(list(files) or None, env=env)


@pytest.fixture
def config_dir(tmp_path, monkeypatch):
    """A config/ directory of the test's own (base.toml copied), for split files."""
    from scheduler_project.config import loader

    directory = tmp_path / "config"
    directory.mkdir()
    (directory / "base.toml").write_text((loader.CONFIG_DIR / "base.toml").read_text())
    for name in ("development.toml", "staging.toml", "production.toml"):
        (directory / name).write_text((loader.CONFIG_DIR / name).read_text())
    monkeypatch.setattr(loader, "CONFIG_DIR", directory)
    return directory
