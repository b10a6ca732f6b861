"""No command of ours accepts an abbreviated flag: `workers drain vm --deadlin 60` once drained a
worker through argparse's prefix matching. Every parser and subparser of every management
command of the project, of `config`, and of the remote client refuses it; the drain does not
happen."""

import argparse
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command, load_command_class

from scheduler_project.commandline import remote
from scheduler_project.config import BASE_DIR
from scheduler_project.config.cli import main as config_main
from workers_app.models import Worker

APPS = ("scheduler_project", "tasks_app", "workers_app", "instances_app", "accounts_app", "audit_app", "monitoring_app")


def our_commands() -> list[tuple[str, str]]:
    return sorted((app, path.stem) for app in APPS for path in (BASE_DIR / app).glob("management/commands/*.py")
                  if not path.name.startswith("_"))


def parsers(parser: argparse.ArgumentParser):
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield from parsers(sub)


def test_every_parser_of_every_command_refuses_abbreviations():
    commands = our_commands()
    assert {"tasks", "runs", "workers", "deadletters", "dlq", "instances", "serve", "cleanup"} <= {c for _, c in commands}
    for app, name in commands:
        parser = load_command_class(app, name).create_parser("manage.py", name)
        for each in parsers(parser):
            assert each.allow_abbrev is False, f"manage.py {name}: {each.prog} accepts abbreviated flags"
    for each in parsers(remote.parser()):
        assert each.allow_abbrev is False, f"remote client: {each.prog} accepts abbreviated flags"


def test_a_mistyped_flag_drains_nothing(db):
    Worker.objects.create(worker_id="vm", node="worker@vm", queues=["tasks.shell"])
    with pytest.raises(CommandError, match="unrecognized arguments: --deadlin"):
        call_command("workers", "drain", "vm", "--deadlin", "60")
    assert Worker.objects.get(worker_id="vm").status == "online"
    with pytest.raises(CommandError, match="unrecognized arguments: --dry"):
        call_command("cleanup", "--older-than", "30d", "--dry")


def test_config_validate_refuses_an_abbreviated_flag(capsys):
    with pytest.raises(SystemExit) as exited:
        config_main(["validate", "--fil", str(Path(BASE_DIR) / "config" / "base.toml")])
    assert exited.value.code == 2 and "unrecognized arguments: --fil" in capsys.readouterr().err


def test_the_remote_client_refuses_an_abbreviated_flag(capsys):
    with pytest.raises(SystemExit):
        remote.parser().parse_args(["--url", "http://x", "workers", "drain", "vm", "--deadlin", "60"])
    assert "unrecognized arguments: --deadlin" in capsys.readouterr().err
