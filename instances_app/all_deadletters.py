"""Dead letters of both kinds behind one name and one set of verbs (`manage.py deadletters`,
alias `dlq`): dead runs (tasks_app.services.deadletters: runs whose retries are exhausted) and
inbox dead letters (instances_app.deadletters: inbox entries moved to an instance's DLQ).

A letter is named as the REST API names it: `run-<run id>` or `inbox-<instance>-<entry id>`
(the entry id, digits-digits, ends it, so instance ids may have dashes). The former `dlq`
command's form, a bare stream entry id with `--instance`, and a bare run id are accepted too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from instances_app import deadletters as inbox_letters
from instances_app import presence
from scheduler_project.errors import EngineError
from tasks_app.models import Run
from tasks_app.services import deadletters as dead_runs
from tasks_app.services import definitions

ENTRY = r"[0-9]{1,20}-[0-9]{1,20}"
RUN_REF = re.compile(r"^(?:run-)?(?P<run>[0-9]{1,18})$")
INBOX_REF = re.compile(rf"^inbox-(?P<instance>[A-Za-z0-9_.:-]{{1,200}})-(?P<entry>{ENTRY})$")
BARE_ENTRY = re.compile(rf"^{ENTRY}$")


@dataclass(frozen=True)
class Ref:
    source: str  # "run" or "inbox"
    run_id: int | None = None
    instance_id: str | None = None
    entry_id: str | None = None

    def __str__(self) -> str:
        return f"run-{self.run_id}" if self.source == "run" else f"inbox-{self.instance_id}-{self.entry_id}"


def parse(ref: str, instance: str | None = None) -> Ref:
    text = str(ref).strip()
    if instance and BARE_ENTRY.match(text):
        return Ref("inbox", instance_id=instance, entry_id=text)
    if match := INBOX_REF.match(text):
        return Ref("inbox", instance_id=match.group("instance"), entry_id=match.group("entry"))
    if match := RUN_REF.match(text):
        return Ref("run", run_id=int(match.group("run")))
    if BARE_ENTRY.match(text):
        raise EngineError(f"{text} is a stream entry id: say whose with --instance ID, or write inbox-<instance>-{text}")
    raise inbox_letters.UnknownDeadLetter(
        f"no dead letter {text!r}: dead letters are run-<id> or inbox-<instance>-<entry id>")


def get(ref: Ref) -> Run | dict:
    if ref.source == "run":
        return dead_runs.get(ref.run_id)
    return inbox_letters.get(ref.instance_id, ref.entry_id)


def replay(ref: Ref, params: dict | None = None, by: str = "") -> Run | str:
    """A dead run as a new run (with parameter overrides); an inbox letter back into its inbox
    (returns the new inbox entry id). Parameters are for runs only."""
    if ref.source == "run":
        return definitions.replay(dead_runs.get(ref.run_id), params, by=by)
    if params:
        raise EngineError(f"{ref} is an inbox letter: it is delivered again as it was, without parameters")
    return inbox_letters.replay(ref.instance_id, ref.entry_id)


def list_runs(task_id: int | None = None, limit: int = 50) -> list[Run]:
    runs = dead_runs.dead_runs().select_related("task").defer("stdout", "stderr", "response_headers")
    if task_id is not None:
        runs = runs.filter(task_id=task_id)
    return list(runs.order_by("-created_at", "-id")[:limit])


def list_inbox(instance_id: str | None = None, limit: int = 50) -> list[dict]:
    return inbox_letters.list_letters(instance_id, limit)


@dataclass
class Purged:
    runs: int = 0
    inbox: dict[str, int] | None = None

    @property
    def total(self) -> int:
        return self.runs + sum((self.inbox or {}).values())


def purge(refs: list[Ref] | None = None, *, source: str | None = None, instance: str | None = None,
          older_than: datetime | None = None, task_id: int | None = None, everything: bool = False) -> Purged:
    """Delete the letters named, or those selected: with `instance`, that instance's inbox
    letters; with `older_than` / `task_id`, dead runs; with `everything`,
    all of both kinds (`source` narrows it). Selecting nothing is refused: a purge must say
    what it deletes."""
    done = Purged(inbox={})
    if refs:
        if any((older_than, task_id, everything)):
            raise EngineError("name the letters to purge, or select them with options, not both")
        run_ids = [r.run_id for r in refs if r.source == "run"]
        if run_ids:
            done.runs = dead_runs.purge(run_ids=run_ids)
        by_instance: dict[str, list[str]] = {}
        for r in refs:
            if r.source == "inbox":
                by_instance.setdefault(r.instance_id, []).append(r.entry_id)
        for instance_id, entries in by_instance.items():
            done.inbox[instance_id] = inbox_letters.purge(instance_id, entries)
        return done
    runs_selected = older_than is not None or task_id is not None or (everything and source != "inbox")
    inbox_selected = instance is not None or (everything and source != "run")
    if source == "inbox" and (older_than is not None or task_id is not None):
        raise EngineError("--older-than and --task select dead runs, not inbox letters")
    if not (runs_selected or inbox_selected):
        raise EngineError("say what to purge: letter ids, --instance ID (its inbox letters), --older-than / --task "
                          "(dead runs), or --all (with --source run or inbox: all of one kind)")
    if runs_selected:
        done.runs = dead_runs.purge(older_than=older_than, task_id=task_id)
    if inbox_selected:
        for instance_id in [instance] if instance else presence.known_instances():
            done.inbox[instance_id] = inbox_letters.purge(instance_id)
    return done
