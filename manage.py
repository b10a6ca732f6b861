#!/usr/bin/env python
"""Django's command-line utility for Taskplane."""
import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scheduler_project.settings")
    if sys.argv[1:2] == ["config"]:
        # Judges a configuration that may be the very one keeping Django from starting.
        from scheduler_project.config.cli import main as config_main

        sys.exit(config_main(sys.argv[2:]))
    from scheduler_project.config import load_config_or_exit

    load_config_or_exit()  # a bad configuration: a clear message and exit 1, not a traceback
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
