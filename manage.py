#!/usr/bin/env python
"""Django's command-line utility for Taskplane (the same as the `taskplane` command of an
installed package: scheduler_project/cli.py)."""
import sys

from scheduler_project.cli import main

if __name__ == "__main__":
    main(sys.argv[1:], prog="manage.py")
