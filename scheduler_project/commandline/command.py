"""The base of Taskplane's management commands: no abbreviated flags, and the two ways a read
command prints (text, or with --json the API's JSON)."""

from __future__ import annotations

import getpass
import json

from django.core.management.base import BaseCommand


class OperatorCommand(BaseCommand):
    """A management command whose parser refuses abbreviated flags (argparse's default accepts
    `--deadlin` for `--deadline`); subcommands get the same from grammar.verb()."""

    def create_parser(self, prog_name, subcommand, **kwargs):
        kwargs.setdefault("allow_abbrev", False)
        return super().create_parser(prog_name, subcommand, **kwargs)

    def print_json(self, data) -> None:
        self.stdout.write(dumps(data))


def dumps(data) -> str:
    return json.dumps(data, indent=2, default=str, ensure_ascii=False)


def principal() -> str:
    """Who a command line acts as, recorded on runs and drains (`cancelled_by`, `triggered_by`)."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"
