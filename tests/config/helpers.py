"""Helpers for the configuration tests: the guides' files and a loader that keeps the
process's own environment out."""

from __future__ import annotations

from pathlib import Path

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
