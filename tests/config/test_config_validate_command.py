"""`manage.py config validate [--file F]`: problems with key paths and exit 1, or a summary and exit 0."""

import os
import subprocess
import sys

from scheduler_project.config import BASE_DIR

SERVICE_VARS = ("DATABASE_URL", "MESSAGE_QUEUE_URL", "MESSAGE_QUEUE_TYPE", "REDIS_URL", "ENVIRONMENT", "TASKPLANE_CONFIG")


def validate(*args, **env):
    clean = {k: v for k, v in os.environ.items() if k not in SERVICE_VARS}
    return subprocess.run(
        [sys.executable, "manage.py", "config", "validate", *args],
        cwd=BASE_DIR, env={**clean, **env}, capture_output=True, text=True, timeout=60,
    )


def test_production_without_database_url_names_it_and_exits_1():
    result = validate("--file", "config/production.toml")
    assert result.returncode == 1
    assert "database.url: environment variable DATABASE_URL is not set" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_misspelled_key_is_named_and_exits_1(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[dispatcher]\nschedule_interval_secs = 5\n")
    result = validate("--file", str(bad))
    assert result.returncode == 1
    assert "dispatcher.schedule_interval_secs: unknown key (did you mean 'schedule_interval_seconds'?)" in result.stderr


def test_a_valid_file_prints_a_summary_and_exits_0():
    result = validate(
        "--file", "config/production.toml",
        DATABASE_URL="postgresql://u:hunter2@db/s", MESSAGE_QUEUE_URL="amqp://mq//", FRONTEND_URL="https://f",
        JWT_SECRET="j", REDIS_URL="redis://r:6379", DJANGO_SECRET_KEY="k",
    )
    assert result.returncode == 0, result.stderr
    assert "Configuration is valid." in result.stdout
    assert "rabbitmq at amqp://mq//" in result.stdout
    assert "hunter2" not in result.stdout  # passwords are redacted


def test_without_file_it_validates_the_environment_selection():
    result = validate(ENVIRONMENT="staging")
    assert result.returncode == 1
    assert "STAGING_DATABASE_URL" in result.stderr


def test_it_works_even_when_the_current_configuration_is_broken():
    # The process's own ENVIRONMENT is invalid, yet validating another file still runs.
    result = validate("--file", "config/development.toml", ENVIRONMENT="nonexistent")
    assert result.returncode == 0, result.stderr
    assert "environment:  development" in result.stdout
