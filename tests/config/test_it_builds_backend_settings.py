"""Backends from configuration: PostgreSQL with its pool and timeouts, SQLite in WAL mode,
a RabbitMQ or Redis broker, and no database at all on worker nodes."""

import json
import os
import subprocess
import sys

from scheduler_project.config import BASE_DIR

PROBE = """
import json, django
from django.conf import settings
django.setup()
print(json.dumps({"db": settings.DATABASES, "broker": settings.CELERY_BROKER_URL,
                  "transport": settings.CELERY_BROKER_TRANSPORT_OPTIONS,
                  "acks_late": settings.CELERY_TASK_ACKS_LATE, "accept": settings.CELERY_ACCEPT_CONTENT,
                  "reject": settings.CELERY_TASK_REJECT_ON_WORKER_LOST}, default=str))
"""
SERVICE_VARS = ("DATABASE_URL", "MESSAGE_QUEUE_URL", "MESSAGE_QUEUE_TYPE", "REDIS_URL", "TASKPLANE_ROLE")


def settings_with(**env):
    clean = {k: v for k, v in os.environ.items() if k not in SERVICE_VARS}
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=BASE_DIR, env={**clean, "DJANGO_SETTINGS_MODULE": "scheduler_project.settings", **env},
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_postgresql_with_the_pool_sized_from_the_database_section():
    s = settings_with(DATABASE_URL="postgresql://u:p@db:5433/sched", DATABASE_MAX_CONNECTIONS="20", TASKPLANE_ROLE="api")
    db = s["db"]["default"]
    assert db["ENGINE"] == "django_prometheus.db.backends.postgresql"  # instrumented, same backend
    assert (db["HOST"], db["PORT"], db["NAME"]) == ("db", 5433, "sched")
    assert db["OPTIONS"]["pool"] == {"min_size": 1, "max_size": 20, "timeout": 30.0, "max_idle": 600.0, "max_lifetime": 1800}
    assert db["OPTIONS"]["connect_timeout"] == 30
    # The pool checks a connection as it hands it out: after a database cut no request gets a dead one.
    assert db["CONN_HEALTH_CHECKS"] is True


def test_roles_that_fork_keep_persistent_connections_instead_of_a_pool():
    db = settings_with(DATABASE_URL="postgresql://u:p@db/sched", TASKPLANE_ROLE="dispatcher")["db"]["default"]
    assert "pool" not in db["OPTIONS"]
    assert db["CONN_MAX_AGE"] == 600.0


def test_embedded_sqlite_is_in_wal_mode_with_a_busy_timeout():
    db = settings_with()["db"]["default"]
    assert db["ENGINE"] == "django_prometheus.db.backends.sqlite3"
    assert "journal_mode=WAL" in db["OPTIONS"]["init_command"]
    assert db["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert db["OPTIONS"]["timeout"] == 30.0


def test_worker_nodes_have_no_database_credentials():
    s = settings_with(DATABASE_URL="postgresql://u:secret@db/sched", TASKPLANE_ROLE="worker")
    assert "secret" not in json.dumps(s["db"])
    assert s["db"]["default"]["ENGINE"] == "django.db.backends.dummy"


def test_rabbitmq_broker_confirms_publishes():
    s = settings_with(MESSAGE_QUEUE_TYPE="rabbitmq", MESSAGE_QUEUE_URL="amqp://guest:guest@mq:5672//")
    assert s["broker"] == "amqp://guest:guest@mq:5672//"
    # Bounded socket waits: a publish waiting on a connection that died silently fails and is
    # retried on a fresh one instead of hanging its process (issue 14 item 12).
    assert s["transport"] == {"confirm_publish": True, "read_timeout": 10.0, "write_timeout": 10.0}


def test_redis_broker_has_a_visibility_timeout_and_json_only():
    s = settings_with(MESSAGE_QUEUE_URL="redis://r:6379/1")
    assert s["broker"] == "redis://r:6379/1"
    assert s["transport"]["visibility_timeout"] == 21600
    assert s["accept"] == ["json"]
    assert s["acks_late"] and s["reject"]
