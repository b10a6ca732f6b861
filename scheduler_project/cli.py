"""The command line: `manage.py` and the `taskplane` console script of `pip install .`
(pyproject.toml [project.scripts]) are this one function, so both take the same commands:

    taskplane serve --mode api          # = python manage.py serve --mode api
    taskplane migrate
    taskplane config validate --file config/production.toml

Installed from a wheel, Taskplane uses the configuration files in ./config of the directory it
runs in when there are any, else the ones shipped in the package, and keeps its data in ./var
(scheduler_project/config/loader.py, "project directory").

The old system's command names are console scripts too, mapped here onto ours by name (this
module is infrastructure: it names management commands, never an app's code):

    scheduler [--mode all|api|dispatcher|control|worker] [--config F]... [--worker-id ID]   = serve
    scheduler config validate --file F                                                     = config validate
    scheduler-api [--config F]         = serve --mode api
    scheduler-dispatcher [--config F]  = serve --mode dispatcher (warns when no control role runs)
    scheduler-worker --worker-id ID    = serve --mode worker
    scheduler-cli task list | worker status | data cleanup --older-than 30d | data vacuum | data reindex
                  | runs ... | tasks ... | workers ... | deadletters ... | instances ... | config validate
    scheduler-cli --url URL --api-key KEY <the same daily verbs>   (the remote client, over the REST API)
    taskplane-cli --url URL --api-key KEY ...                      (the same remote client)

The server commands without --config use ./config.toml of the directory they run in when there
is one (the multi-instance guide runs `scheduler` in a directory holding its config.toml).
The old system's three processes (api, dispatcher, worker) need a fourth here, the control
role (`scheduler --mode control`): it turns the dispatcher's fires into runs and records what
workers report.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None, prog: str | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    prog = prog or os.path.basename(sys.argv[0]) or "taskplane"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scheduler_project.settings")
    if argv[:1] == ["config"]:
        # Judges a configuration that may be the very one keeping Django from starting.
        from scheduler_project.config.cli import main as config_main

        sys.exit(config_main(argv[1:], prog=f"{prog} config"))
    from scheduler_project.config import load_config_or_exit

    load_config_or_exit()  # a bad configuration: a clear message and exit 1, not a traceback
    from django.core.management import execute_from_command_line

    execute_from_command_line([prog, *argv])


def _args(argv) -> list[str]:
    return list(sys.argv[1:] if argv is None else argv)


def _with_local_config(args: list[str]) -> list[str]:
    """The seed's servers read ./config.toml: used when no --config and no TASKPLANE_CONFIG say otherwise."""
    given = any(a == "--config" or a.startswith("--config=") for a in args)
    if not given and not os.environ.get("TASKPLANE_CONFIG") and os.path.isfile("config.toml"):
        return ["--config", "config.toml", *args]
    return args


def _serve(prog: str, mode: str | None, args: list[str]) -> None:
    if mode and any(a == "--mode" or a.startswith("--mode=") for a in args):
        sys.exit(f"{prog}: runs the {mode} role; for another, use `scheduler --mode ...`")
    main(["serve", *(["--mode", mode] if mode else []), *_with_local_config(args)], prog=prog)


def scheduler(argv: list[str] | None = None) -> None:
    """`scheduler --mode ...` (serve), `scheduler config validate --file F`, and any other
    management command by its name (`scheduler migrate`)."""
    args = _args(argv)
    if args and not args[0].startswith("-"):
        main(args, prog="scheduler")
    else:
        _serve("scheduler", None, args)


def scheduler_api(argv: list[str] | None = None) -> None:
    _serve("scheduler-api", "api", _args(argv))


def scheduler_dispatcher(argv: list[str] | None = None) -> None:
    _serve("scheduler-dispatcher", "dispatcher", _args(argv))


def scheduler_worker(argv: list[str] | None = None) -> None:
    _serve("scheduler-worker", "worker", _args(argv))


# scheduler-cli's first word (the seed's singular nouns and ours) -> the management command.
RESOURCES = {
    "task": "tasks", "tasks": "tasks", "run": "runs", "runs": "runs", "worker": "workers", "workers": "workers",
    "instance": "instances", "instances": "instances", "deadletter": "deadletters", "deadletters": "deadletters",
    "dlq": "deadletters", "config": "config",
}
# `scheduler-cli data <verb>`: the seed's maintenance verbs.
DATA_VERBS = {"cleanup": "cleanup", "vacuum": "vacuum", "reindex": "reindex"}


def seed_cli_argv(args: list[str]) -> list[str]:
    """scheduler-cli's words as a manage.py command line; SystemExit with the usage when unknown."""
    if args[:1] == ["data"] and len(args) > 1 and args[1] in DATA_VERBS:
        return [DATA_VERBS[args[1]], *args[2:]]
    if args and args[0] in RESOURCES:
        return [RESOURCES[args[0]], *args[1:]]
    nouns = ", ".join(sorted(set(RESOURCES) - {"dlq"}))
    raise SystemExit(f"usage: scheduler-cli RESOURCE ACTION ... (RESOURCE: {nouns}; or data cleanup|vacuum|reindex)\n"
                     f"       scheduler-cli --url URL --api-key KEY RESOURCE ACTION ... (over the REST API)")


def scheduler_cli(argv: list[str] | None = None) -> None:
    args = _args(argv)
    if any(a in ("--url", "--api-key") or a.startswith(("--url=", "--api-key=")) for a in args[:4]):
        from scheduler_project.commandline.remote import main as remote_main

        sys.exit(remote_main(args, prog="scheduler-cli"))
    main(seed_cli_argv(args), prog="scheduler-cli")


def taskplane_cli(argv: list[str] | None = None) -> None:
    from scheduler_project.commandline.remote import main as remote_main

    sys.exit(remote_main(_args(argv), prog="taskplane-cli"))
