"""The verbs and flags of the daily commands, defined once for `manage.py <command>` (each app's
management command adds them in add_arguments) and for the remote client (scheduler-cli --url),
so that both accept exactly the same command lines.

No parser here accepts an abbreviated flag (argparse's allow_abbrev=False on every parser and
subparser): `workers drain vm --deadlin 60` is an error, never a drain with a guessed flag.
Values are checked where they are used (the API's filterset, the domain services), so the
local and the remote command refuse the same input with the same message.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from scheduler_project.durations import parse_duration


def param(text: str) -> tuple[str, str]:
    """--param k=v: one parameter override (values are strings, as on a command line)."""
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"{text!r} is not NAME=VALUE")
    return name.strip(), value


def params(pairs) -> dict | None:
    return dict(pairs) if pairs else None


def moment(text: str | None) -> str | None:
    """An age (30m, 2h, 7d: that long ago) as an ISO 8601 time; anything else is passed on as
    written, for the API's filter to accept (ISO 8601) or refuse with its message."""
    if text is None:
        return None
    try:
        age = parse_duration(text)
    except ValueError:
        return text
    return (datetime.now(UTC) - age).isoformat()


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} must be 1 or more")
    return value


def verb(sub, name: str, help_text: str, aliases=()) -> argparse.ArgumentParser:
    """A subcommand parser that refuses abbreviated flags (a subparser does not inherit its
    parent's allow_abbrev)."""
    return sub.add_parser(name, help=help_text, description=help_text, allow_abbrev=False, aliases=list(aliases))


def actions(parser) -> argparse._SubParsersAction:
    return parser.add_subparsers(dest="action", required=True, metavar="ACTION")


def json_flag(parser) -> None:
    parser.add_argument("--json", action="store_true", help="print the API's JSON instead of text")


def tasks(parser) -> None:
    sub = actions(parser)
    json_flag(verb(sub, "list", "the tasks as a table"))
    show = verb(sub, "show", "one task's definition and its next fire")
    show.add_argument("task", help="task name or id")
    json_flag(show)
    trigger = verb(sub, "trigger", "run a task now, with parameter overrides")
    trigger.add_argument("task", help="task name or id")
    trigger.add_argument("--param", action="append", type=param, metavar="NAME=VALUE",
                         help="a parameter override (repeatable)")
    trigger.add_argument("--wait", action="store_true",
                         help="wait until the run is final, printing its output; exit 1 unless it succeeded")
    trigger.add_argument("--timeout", type=positive_int, default=3600, help="seconds --wait waits at most (default 3600)")
    json_flag(trigger)
    for name, text in (("pause", "disable the task's schedule"), ("resume", "enable the task's schedule (from now on)")):
        verb(sub, name, text).add_argument("task", help="task name or id")


def runs(parser) -> None:
    sub = actions(parser)
    listing = verb(sub, "list", "runs, newest first, filtered as GET /api/v1/runs/ filters")
    listing.add_argument("--task", help="task name or id")
    listing.add_argument("--status", action="append", help="a run status (repeatable: any of them)")
    listing.add_argument("--trigger", help="schedule, manual, api, retry or replay")
    listing.add_argument("--worker", help="worker id")
    listing.add_argument("--since", "--created-after", dest="created_after", metavar="AGE_OR_TIME",
                         help="created at or after: an age (30m, 2h, 7d) or an ISO 8601 time")
    listing.add_argument("--until", "--created-before", dest="created_before", metavar="AGE_OR_TIME",
                         help="created before: an age or an ISO 8601 time")
    listing.add_argument("--scheduled-after", metavar="AGE_OR_TIME", help="scheduled for at or after")
    listing.add_argument("--scheduled-before", metavar="AGE_OR_TIME", help="scheduled for before")
    listing.add_argument("--limit", type=positive_int, default=50, help="at most this many (1..500, default 50)")
    json_flag(listing)
    show = verb(sub, "show", "one run: its record, every attempt, its captured output")
    show.add_argument("run", type=positive_int, help="run id")
    json_flag(show)
    logs = verb(sub, "logs", "a run's output; with --follow, live from the first line until the run is final")
    logs.add_argument("run", type=positive_int, help="run id")
    logs.add_argument("--follow", "-f", action="store_true", help="follow the output until the run is final")
    logs.add_argument("--timeout", type=positive_int, default=86400, help="seconds --follow follows at most")
    json_flag(logs)
    cancel = verb(sub, "cancel", "cancel a run: at once if not yet on a worker, else its process group is killed")
    cancel.add_argument("run", type=positive_int, help="run id")
    replay = verb(sub, "replay", "run a finished, unsuccessful run again as a new run")
    replay.add_argument("run", type=positive_int, help="run id")
    replay.add_argument("--param", action="append", type=param, metavar="NAME=VALUE",
                        help="a parameter override (repeatable), merged over the run's parameters")


def workers(parser) -> None:
    sub = actions(parser)
    json_flag(verb(sub, "status", "the worker registry as a table"))
    show = verb(sub, "show", "one worker as its heartbeats describe it")
    show.add_argument("worker_id")
    json_flag(show)
    drain = verb(sub, "drain", "stop a worker taking new executions; running ones finish")
    drain.add_argument("worker_id")
    drain.add_argument("--deadline", type=positive_int, help="seconds the running executions may take")
    verb(sub, "resume", "make a drained worker consume again").add_argument("worker_id")


def deadletters(parser) -> None:
    """Dead runs (ids run-<id>) and inbox dead letters (ids inbox-<instance>-<entry>), one verb
    for both. A bare number is a run id; a bare stream entry id needs --instance (the former
    `dlq ... --instance ID` form)."""
    sub = actions(parser)
    listing = verb(sub, "list", "dead runs and inbox dead letters together, newest first")
    listing.add_argument("--source", choices=("run", "inbox"), help="only dead runs, or only inbox letters")
    listing.add_argument("--task", help="only this task's dead runs (name or id)")
    listing.add_argument("--instance", help="only this instance's inbox dead letters")
    listing.add_argument("--limit", "--count", dest="limit", type=positive_int, default=50,
                         help="at most this many (default 50)")
    json_flag(listing)
    show = verb(sub, "show", "one dead letter with its reason and history")
    show.add_argument("letter", help="run-<id>, inbox-<instance>-<entry>, or an entry id with --instance")
    show.add_argument("--instance", help="the instance of a bare stream entry id")
    json_flag(show)
    replay = verb(sub, "replay", "a dead run as a new run; an inbox letter back into its inbox")
    replay.add_argument("letter", help="run-<id>, inbox-<instance>-<entry>, or an entry id with --instance")
    replay.add_argument("--instance", help="the instance of a bare stream entry id")
    replay.add_argument("--param", action="append", type=param, metavar="NAME=VALUE",
                        help="dead runs: a parameter override (repeatable)")
    purge = verb(sub, "purge", "delete dead letters: the given ones, or those the options select")
    purge.add_argument("letters", nargs="*", help="run-<id>, inbox-<instance>-<entry>, or entry ids with --instance")
    purge.add_argument("--instance", help="inbox letters of this instance (all of them without ids)")
    purge.add_argument("--source", choices=("run", "inbox"), help="with --all: only dead runs, or only inbox letters")
    purge.add_argument("--older-than", metavar="AGE_OR_TIME", help="dead runs that ended before: 30d, 12h, or ISO 8601")
    purge.add_argument("--task", help="dead runs of this task (name or id)")
    purge.add_argument("--all", action="store_true", help="every dead run and every instance's inbox dead letters")


def instances(parser) -> None:
    sub = actions(parser)
    json_flag(verb(sub, "list", "live instances, from their presence keys"))
    verb(sub, "stepdown", "make the instance give up the leader lease (rolling restarts)").add_argument("instance_id")
    verb(sub, "reload-config", "re-read the configuration (every live instance without an id)").add_argument(
        "instance_id", nargs="?")


# The resources the remote client serves, with their grammar (same names as the commands).
RESOURCES = {"tasks": tasks, "runs": runs, "workers": workers, "deadletters": deadletters, "instances": instances}
