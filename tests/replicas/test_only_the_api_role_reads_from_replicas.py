"""Only the api role (and manage.py) gets the replicas: the control role, the dispatcher and the
engine they run write and read their own writes, so they have no replica to read from at all;
worker nodes have no database. Replicas never get migrations or a test database."""

import json
import os
import subprocess
import sys

from scheduler_project.config import BASE_DIR

PROBE = """
import json, django
from django.conf import settings
django.setup()
from django.db import router
from tasks_app.models import Run
print(json.dumps({"databases": settings.DATABASES, "routers": settings.DATABASE_ROUTERS,
                  "middleware": settings.MIDDLEWARE, "replicas": getattr(settings, "DATABASE_REPLICAS", {}),
                  "write": router.db_for_write(Run), "read": router.db_for_read(Run),
                  "migrate": [a for a in settings.DATABASES if router.allow_migrate(a, "tasks_app")]}, default=str))
"""
MIDDLEWARE = "scheduler_project.db.middleware.ReadReplicaMiddleware"


def settings_of(role, tmp_path):
    config = tmp_path / "replicas.toml"
    config.write_text('[database]\nurl = "postgresql://u:p@primary/sched"\n[database.read_replicas]\n'
                      'replica1 = "postgresql://u:p@replica1/sched"\nreplica2 = "${REPLICA2_URL}"\n')
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "TASKPLANE_ROLE")}
    env.update(DJANGO_SETTINGS_MODULE="scheduler_project.settings", TASKPLANE_CONFIG=str(config),
               TASKPLANE_ROLE=role, REPLICA2_URL="postgresql://u:p@replica2:5433/sched")
    result = subprocess.run([sys.executable, "-c", PROBE], cwd=BASE_DIR, env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_api_role_has_the_replicas(tmp_path):
    s = settings_of("api", tmp_path)
    assert s["replicas"] == {"replica_replica1": "replica1", "replica_replica2": "replica2"}
    replica = s["databases"]["replica_replica2"]
    assert (replica["HOST"], replica["PORT"]) == ("replica2", 5433)  # ${VAR} in a replica URL
    assert "pool" not in replica["OPTIONS"]  # a dead replica must not make requests wait for a pool
    assert replica["OPTIONS"]["application_name"] == "taskplane-api"
    assert replica["TEST"]["MIRROR"] == "default"
    assert s["routers"] == ["scheduler_project.db.replicas.ReadReplicaRouter"] and MIDDLEWARE in s["middleware"]
    # Outside a read-only request (here: no request at all) everything is the primary's.
    assert (s["write"], s["read"], s["migrate"]) == ("default", "default", ["default"])


def test_the_roles_that_write_have_no_replica(tmp_path):
    for role in ("control", "dispatcher"):
        s = settings_of(role, tmp_path)
        assert list(s["databases"]) == ["default"], role
        assert s["routers"] == [] and MIDDLEWARE not in s["middleware"], role
    worker = settings_of("worker", tmp_path)  # no database at all on a worker node
    assert list(worker["databases"]) == ["default"] and worker["databases"]["default"]["ENGINE"].endswith("dummy")
