"""`manage.py config validate --file F` lists the old system's keys it mapped and those it
ignored (with why), and still says the file is valid; `manage.py check` (which every role's
start runs) shows the ignored ones as warnings."""

import os
import subprocess
import sys

from scheduler_project.config import BASE_DIR
from tests.config.helpers import SEEDS

SERVICE_VARS = ("DATABASE_URL", "MESSAGE_QUEUE_URL", "MESSAGE_QUEUE_TYPE", "REDIS_URL", "ENVIRONMENT",
                "TASKPLANE_CONFIG", "INSTANCE_ID", "LOG_LEVEL", "RUST_LOG")
INSTANCE_FILE = SEEDS / "guide2" / "config-scheduler-1.toml"


def manage(*args, **env):
    clean = {k: v for k, v in os.environ.items() if k not in SERVICE_VARS}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=BASE_DIR, env={**clean, **env},
                          capture_output=True, text=True, timeout=120)


def test_validate_lists_what_it_mapped_and_what_it_ignored():
    result = manage("config", "validate", "--file", str(INSTANCE_FILE), RUST_LOG="scheduler=debug,tower=info")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Configuration is valid." in out
    assert "api:          0.0.0.0:5010" in out
    assert "worker:       4 slots, heartbeat every 15 s; default task timeout 30 s" in out
    assert "server.host and server.port -> api.bind_address = '0.0.0.0:5010'" in out
    assert "scheduler.max_concurrent_jobs_per_node -> worker.max_concurrent_tasks = 4" in out
    assert "RUST_LOG=scheduler=debug,tower=info -> observability.log_level = 'debug'  [environment variable RUST_LOG]" in out
    assert "Ignored keys (4)" in out
    assert "warning: model_hub.base_url: ignored: Taskplane runs shell commands and HTTP calls" in out
    assert "tests/config/seeds/guide2/config-scheduler-1.toml]" in out


def test_validate_redacts_passwords_of_mapped_urls(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('database_url = "postgresql://u:hunter2@db/s"\n')
    result = manage("config", "validate", "--file", str(path))
    assert result.returncode == 0, result.stderr
    assert "database_url -> database.url = 'postgresql://u:***@db/s'" in result.stdout
    assert "hunter2" not in result.stdout


def test_validate_takes_several_files_and_names_the_bad_ones(tmp_path):
    good, bad = tmp_path / "good.toml", tmp_path / "bad.toml"
    good.write_text("[worker]\nmax_concurrent_tasks = 2\n")
    bad.write_text("[worker]\nmax_concurent_tasks = 2\n")
    result = manage("config", "validate", "--file", str(good), "--file", str(bad))
    assert result.returncode == 1
    assert f"worker.max_concurent_tasks: unknown key (did you mean 'max_concurrent_tasks'?)  [{bad}]" in result.stderr


def test_system_checks_warn_about_each_ignored_key():
    result = manage("check", TASKPLANE_CONFIG=str(INSTANCE_FILE))
    assert result.returncode == 0, result.stderr
    assert "(taskplane.W010) model_hub.storage_path: ignored:" in result.stderr
    assert "(taskplane.W010) scheduler.phase2.node_snapshot.refresh_interval_ms: ignored:" in result.stderr


def test_serve_warns_about_the_ignored_keys_of_its_config_files(tmp_path):
    from tests.services import free_port
    from tests.support.processes import reap

    config = tmp_path / "instance.toml"
    config.write_text(f'[server]\nhost = "127.0.0.1"\nport = {free_port()}\n[model_hub]\nbase_url = "http://hub:5000"\n'
                      f'[embedded]\ndata_dir = "{tmp_path / "data"}"\n')
    env = {k: v for k, v in os.environ.items() if k not in ("TASKPLANE_CONFIG", "DATABASE_URL")}
    process = subprocess.Popen([sys.executable, "manage.py", "serve", "--mode", "api", "--config", str(config)],
                               cwd=BASE_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)
    try:
        first = process.stderr.readline()  # the warnings come before anything is started
    finally:
        reap(process)
    assert first.startswith("warning (taskplane.W010): model_hub.base_url: ignored: "), first
    assert str(config) in first
