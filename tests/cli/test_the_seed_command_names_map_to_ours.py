"""The old system's command names are console scripts of the package (pyproject.toml
[project.scripts]) mapped onto our commands: `scheduler --mode M` is `serve`, `scheduler-api`,
`-dispatcher`, `-worker` are its roles, `scheduler-cli` speaks the seed's verbs (task list,
worker status, data cleanup|vacuum|reindex) and ours, and with --url the remote client."""

import importlib
import tomllib

import pytest

from scheduler_project import cli
from scheduler_project.commandline import remote
from scheduler_project.config import BASE_DIR
from tasks_app import states

SCRIPTS = tomllib.loads((BASE_DIR / "pyproject.toml").read_text())["project"]["scripts"]


def test_every_seed_name_is_a_console_script():
    for name in ("taskplane", "scheduler", "scheduler-api", "scheduler-dispatcher", "scheduler-worker", "scheduler-cli",
                 "taskplane-cli"):
        module, _, function = SCRIPTS[name].partition(":")
        assert callable(getattr(importlib.import_module(module), function)), name


@pytest.mark.parametrize("words, ours", [
    (["task", "list"], ["tasks", "list"]),
    (["worker", "status"], ["workers", "status"]),
    (["data", "cleanup", "--older-than", "30d"], ["cleanup", "--older-than", "30d"]),
    (["data", "vacuum"], ["vacuum"]),
    (["data", "reindex"], ["reindex"]),
    (["config", "validate", "--file", "config/production.toml"], ["config", "validate", "--file", "config/production.toml"]),
    (["runs", "logs", "7", "--follow"], ["runs", "logs", "7", "--follow"]),
    (["dlq", "list"], ["deadletters", "list"]),
])
def test_scheduler_cli_verbs(words, ours):
    assert cli.seed_cli_argv(words) == ours


def test_an_unknown_verb_gets_the_usage():
    with pytest.raises(SystemExit, match="RESOURCE: config, deadletter"):
        cli.seed_cli_argv(["job", "list"])


def test_the_servers_map_onto_serve(monkeypatch, tmp_path):
    calls = []
    monkeypatch.setattr(cli, "main", lambda argv, prog=None: calls.append((prog, argv)))
    monkeypatch.delenv("TASKPLANE_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    cli.scheduler(["--mode", "all"])
    cli.scheduler(["config", "validate", "--file", "config/production.toml"])
    cli.scheduler_api(["--config", "config/api.toml"])
    cli.scheduler_dispatcher([])
    cli.scheduler_worker(["--worker-id", "worker-001"])
    (tmp_path / "config.toml").write_text("[scheduler.phase2]\ninstance_id = 'scheduler-1'\n")
    cli.scheduler([])  # the multi-instance guide: `scheduler` in a directory holding config.toml
    assert calls == [
        ("scheduler", ["serve", "--mode", "all"]),
        ("scheduler", ["config", "validate", "--file", "config/production.toml"]),
        ("scheduler-api", ["serve", "--mode", "api", "--config", "config/api.toml"]),
        ("scheduler-dispatcher", ["serve", "--mode", "dispatcher"]),
        ("scheduler-worker", ["serve", "--mode", "worker", "--worker-id", "worker-001"]),
        ("scheduler", ["serve", "--config", "config.toml"]),
    ]
    with pytest.raises(SystemExit, match="runs the api role"):
        cli.scheduler_api(["--mode", "worker"])


def test_the_remote_client_knows_which_statuses_are_not_final():
    assert remote.ACTIVE_STATUSES == frozenset(states.STATUSES) - states.FINAL
