"""The command line: `manage.py` and the `taskplane` console script of `pip install .`
(pyproject.toml [project.scripts]) are this one function, so both take the same commands:

    taskplane serve --mode api          # = python manage.py serve --mode api
    taskplane migrate
    taskplane config validate --file config/production.toml

Installed from a wheel, Taskplane uses the configuration files in ./config of the directory it
runs in when there are any, else the ones shipped in the package, and keeps its data in ./var
(scheduler_project/config/loader.py, "project directory"). Other entry points (the seed's
command names) are functions here that call main() with their arguments.
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

        sys.exit(config_main(argv[1:]))
    from scheduler_project.config import load_config_or_exit

    load_config_or_exit()  # a bad configuration: a clear message and exit 1, not a traceback
    from django.core.management import execute_from_command_line

    execute_from_command_line([prog, *argv])
