"""The database ENGINE is django-prometheus's subclass of the configured backend: queries
are counted and timed in /metrics, and the api role's psycopg pool keeps working."""

import json
import os
import subprocess
import sys

import pytest
from django.db import connection
from prometheus_client import REGISTRY

from scheduler_project.config import BASE_DIR
from tests.support.processes import database_url_for_children

POOL_PROBE = """
import json, os, django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scheduler_project.settings")
django.setup()
from django.db import connection
from prometheus_client import REGISTRY
labels = {"alias": "default", "vendor": "postgresql"}
connection.ensure_connection()  # whatever the connection's set-up runs is not ours to count
before = REGISTRY.get_sample_value("django_db_execute_total", labels) or 0
with connection.cursor() as cursor:
    cursor.execute("SELECT 1")
print(json.dumps({"engine": connection.settings_dict["ENGINE"], "pooled": connection.pool is not None,
                  "executed": REGISTRY.get_sample_value("django_db_execute_total", labels) - before}))
"""


@pytest.mark.django_db
def test_queries_are_counted():
    labels = {"alias": "default", "vendor": connection.vendor}
    before = REGISTRY.get_sample_value("django_db_execute_total", labels) or 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.execute("SELECT 2")
    assert REGISTRY.get_sample_value("django_db_execute_total", labels) == before + 2
    assert connection.settings_dict["ENGINE"].startswith("django_prometheus.db.backends.")


@pytest.mark.django_db
def test_the_api_role_still_uses_the_psycopg_pool():
    if connection.vendor != "postgresql":
        pytest.skip("the connection pool is PostgreSQL's")
    env = {**os.environ, "TASKPLANE_ROLE": "api", "DATABASE_URL": database_url_for_children()}
    result = subprocess.run([sys.executable, "-c", POOL_PROBE], cwd=BASE_DIR, env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    probe = json.loads(result.stdout.strip().splitlines()[-1])
    assert (probe["engine"], probe["pooled"]) == ("django_prometheus.db.backends.postgresql", True)
    # Our SELECT is counted; a connection handed out by the pool may first run its own check query.
    assert probe["executed"] in (1.0, 2.0)
