"""The system checks judge each role on what it uses (DESIGN.md "Processes"): in production a
worker node, which holds a broker connection and nothing else, starts without a database URL or
a Django secret, while the control-plane roles still refuse to start without their database.
Before, every `serve --mode worker` container exited on taskplane.E002/E003 and restart-looped."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys

from scheduler_project import checks
from scheduler_project.config import BASE_DIR, load_config
from tests.services import free_port
from tests.support.processes import MANAGE, http_get, reap, wait_for

WORKER_TOML = BASE_DIR / "deploy" / "config" / "worker.toml"


def ids(messages) -> set[str]:
    return {m.id for m in messages}


def production(**env) -> object:
    return load_config(env={"ENVIRONMENT": "production", "TASKPLANE_CONFIG": str(WORKER_TOML),
                            "MESSAGE_QUEUE_URL": "amqp://guest:guest@127.0.0.1:5672//", **env})


def test_a_worker_needs_neither_a_database_nor_a_secret_key():
    config = production()
    assert config.environment == "production" and not config.settings.database.url
    assert ids(checks.configuration_messages(config, {"worker"})) == set()


def test_the_control_plane_roles_still_need_theirs():
    config = production()
    assert ids(checks.configuration_messages(config, {"api"})) >= {"taskplane.E002", "taskplane.E003"}
    assert ids(checks.configuration_messages(config, {"control"})) == {"taskplane.E003"}
    assert ids(checks.configuration_messages(config, {"dispatcher"})) == {"taskplane.E003"}


def test_a_worker_given_database_credentials_is_warned():
    config = production(DATABASE_URL="postgresql://u:p@db/x")
    assert ids(checks.configuration_messages(config, {"worker"})) == {"taskplane.W002"}


def worker_config(tmp_path) -> str:
    """deploy/config/worker.toml with queue names of this test only (the broker may be shared)."""
    text = WORKER_TOML.read_text().replace(
        "[message_queue]\n", f'[message_queue]\ntask_queue = "tasks-{secrets.token_hex(4)}"\n', 1)
    path = tmp_path / "worker.toml"
    path.write_text(text)
    return str(path)


def broker_only_env(tmp_path, **extra) -> dict:
    """What the deployments give a worker: the broker, its id and config; production otherwise."""
    keep = ("PATH", "HOME", "LANG", "SYSTEMROOT", "TMPDIR")
    env = {k: v for k, v in os.environ.items() if k in keep}
    env.update(ENVIRONMENT="production", TASKPLANE_CONFIG=worker_config(tmp_path), LOG_FORMAT="json",
               MESSAGE_QUEUE_TYPE=os.environ.get("MESSAGE_QUEUE_TYPE", "redis_stream"),
               MESSAGE_QUEUE_URL=os.environ["MESSAGE_QUEUE_URL"], PYTHONUNBUFFERED="1", **extra)
    return env


def test_serve_starts_a_worker_with_the_broker_only(tmp_path):
    port = free_port()
    env = broker_only_env(tmp_path, WORKER_ID=f"w-{port}", HEALTH_PORT=str(port))
    log = open(tmp_path / "worker.log", "w+")
    process = subprocess.Popen([sys.executable, MANAGE, "serve", "--mode", "worker"], cwd=BASE_DIR, env=env,
                               stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for(lambda: process.poll() is not None or http_get(port, "/health")[0] == 200, 60,
                 lambda: f"the worker's /health ({(tmp_path / 'worker.log').read_text()[-2000:]})")
        assert process.poll() is None, (tmp_path / "worker.log").read_text()[-2000:]
    finally:
        reap(process)
    assert "taskplane.E00" not in (tmp_path / "worker.log").read_text()


def test_serve_refuses_a_control_role_without_its_database(tmp_path):
    result = subprocess.run([sys.executable, MANAGE, "serve", "--mode", "control"], cwd=BASE_DIR,
                            env=broker_only_env(tmp_path), capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "taskplane.E003" in result.stderr and "taskplane.E002" not in result.stderr
