"""What an operator does in the console, each through the domain service the API calls for the
same action, and audited as the API audits it (scheduler_project.hooks.audit_record, the same
action names, source "console"):

- the change and its audit entry commit in one transaction: a change is never committed
  without its record;
- a refusal (the engine's EngineError / Conflict, an unknown object, an invalid definition) is
  rolled back and recorded on its own, with the status the API would have answered, and raised
  as Refused for the view to show next to the button or field.

Views parse, call one function here, report; the rules are the services'.
"""

from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models, transaction

from instances_app import deadletters as inbox_letters
from scheduler_project import hooks
from scheduler_project.errors import Conflict, EngineError
from tasks_app.models import Run, Task
from tasks_app.services import cancelling, deadletters, definitions
from workers_app import services as workers

SOURCE = "console"


class Refused(Exception):
    """An action the services refused: `message` for the operator, `status` as the API's."""

    def __init__(self, message: str, status: int = 400, fields: dict | None = None):
        super().__init__(message)
        self.message, self.status, self.fields = message, status, fields or {}
        self.recorded = False  # in the audit log already


def refusal(exc: Exception) -> Refused:
    if isinstance(exc, Refused):
        return exc
    if isinstance(exc, Conflict):
        return Refused(str(exc), 409)
    if isinstance(exc, EngineError):
        return Refused(str(exc), 400)
    if isinstance(exc, ObjectDoesNotExist):
        return Refused(str(exc) or "no such object", 404)
    if isinstance(exc, DjangoValidationError):
        fields = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        return Refused("; ".join(f"{k}: {' '.join(v)}" for k, v in fields.items()), 400, fields)
    raise exc


def _snapshot(value):
    if isinstance(value, models.Model):
        return hooks.audit_snapshot(value)
    return value if isinstance(value, (dict, list)) else None


def audited(request, action: str, object_type: str, object_id, change, *, before=None, status: int = 200,
            result_id=None):
    """Run `change()` in one transaction with its audit entry; returns what it returned."""
    principal = request.viewer.principal.name
    entry = dict(principal=principal, action=f"{object_type}.{action}", source=SOURCE, object_type=object_type,
                 before=_snapshot(before), request=request)
    try:
        with transaction.atomic():
            result = change()
            found_id = object_id if object_id not in (None, "") else (result_id(result) if result_id else "")
            hooks.audit_record(**entry, object_id=str(found_id), after=_snapshot(result), status_code=status)
        return result
    except Exception as exc:  # noqa: BLE001  refusal() re-raises what is not a refusal (a bug: a 500)
        refused = refusal(exc)
        hooks.audit_record(**entry, object_id=str(object_id or ""), after={"error": refused.message},
                           status_code=refused.status)
        refused.recorded = True
        raise refused from None


# --- tasks

def trigger(request, task: Task, params: dict | None) -> Run:
    return audited(request, "trigger", "task", task.pk, lambda: definitions.trigger(
        task, params=params, by=request.viewer.name, trigger=Run.Trigger.MANUAL), before=task, status=201)


def set_enabled(request, task: Task, enabled: bool) -> Task:
    def change():
        definitions.set_enabled(task, enabled)  # False when it already was: recorded all the same, as the API does
        task.refresh_from_db()
        return task

    return audited(request, "resume" if enabled else "pause", "task", task.pk, change,
                   before=Task.objects.get(pk=task.pk))


def save_task(request, task: Task, save, creating: bool) -> Task:
    """`save()` writes the task (TaskForm.save); created or changed, audited like the API's create/update."""
    before = None if creating else Task.objects.filter(pk=task.pk).first()
    return audited(request, "create" if creating else "update", "task", None if creating else task.pk, save,
                   before=before, status=201 if creating else 200, result_id=lambda t: t.pk)


# --- runs

def cancel(request, run: Run) -> Run:
    return audited(request, "cancel", "run", run.pk, lambda: cancelling.request_cancel(run.pk, by=request.viewer.name),
                   before=run, status=202)


def replay(request, run: Run, params: dict | None) -> Run:
    return audited(request, "replay", "run", run.pk, lambda: definitions.replay(run, params, by=request.viewer.name),
                   before=run, status=201)


# --- workers

def drain(request, worker_id: str, deadline_seconds: int | None):
    return audited(request, "drain", "worker", worker_id, lambda: workers.drain(
        worker_id, by=request.viewer.name, deadline_seconds=deadline_seconds))


def resume_worker(request, worker_id: str):
    return audited(request, "resume", "worker", worker_id, lambda: workers.resume(worker_id, by=request.viewer.name))


# --- dead letters: dead runs (tasks_app) and inbox dead letters (instances_app), one verb each

def replay_dead_run(request, run: Run, params: dict | None) -> Run:
    return audited(request, "replay", "dead_letter", f"run-{run.pk}",
                   lambda: definitions.replay(run, params, by=request.viewer.name), before=run, status=201)


def purge_dead_runs(request, run_ids: list[int] | None = None, older_than=None, task_id: int | None = None) -> int:
    label = ",".join(f"run-{i}" for i in run_ids) if run_ids else ""
    return audited(request, "purge", "dead_letter", label, lambda: {"source": "run", "deleted": deadletters.purge(
        older_than=older_than, task_id=task_id, run_ids=run_ids)})["deleted"]


def replay_inbox_letter(request, instance_id: str, entry_id: str) -> str:
    return audited(request, "replay", "dead_letter", f"inbox-{instance_id}-{entry_id}",
                   lambda: {"source": "inbox", "inbox_entry_id": inbox_letters.replay(instance_id, entry_id)},
                   status=201)["inbox_entry_id"]


def purge_inbox_letters(request, instance_id: str, entry_ids: list[str] | None) -> int:
    label = ",".join(f"inbox-{instance_id}-{e}" for e in entry_ids or []) or f"inbox-{instance_id}"
    return audited(request, "purge", "dead_letter", label, lambda: {
        "source": "inbox", "deleted": inbox_letters.purge(instance_id, entry_ids)})["deleted"]
