"""What an operator does with a task or a finished run: trigger, pause, resume, replay."""

from scheduler_project.errors import Conflict, EngineError
from tasks_app import specs, states
from tasks_app.models import Run, Task
from tasks_app.services import dispatch

REPLAYABLE = (states.DEAD, states.FAILED, states.TIMED_OUT, states.LOST, states.CANCELLED)


def _check_params(params) -> None:
    for field, message in specs.params_errors(params).items():
        raise EngineError(message, field=field)


def trigger(task: Task, *, params: dict | None = None, by: str = "", trigger: str = Run.Trigger.MANUAL) -> Run:
    """Run a task now, with parameter overrides, whatever its schedule and enabled flag; the run
    records who triggered it."""
    if params is not None:
        _check_params(params)
    return dispatch.create_run(task, trigger, params=params, by=by)


def set_enabled(task: Task, enabled: bool) -> bool:
    """Pause or resume; returns whether anything changed. Saving syncs the beat row, and a
    resume starts the fire ledger from now (the paused time is not a misfire)."""
    if task.enabled == enabled:
        return False
    task.enabled = enabled
    task.save()
    return True


def replay(run: Run, params: dict | None = None, by: str = "") -> Run:
    """A dead (or otherwise finished-unsuccessfully) run, run again as a new run, with its
    parameters and any overrides."""
    if run.status not in REPLAYABLE:
        raise Conflict(f"run {run.pk} is {run.status}: only dead, failed, timed out, lost or cancelled runs replay")
    if params is not None:
        _check_params(params)
    merged = {**run.params, **(params or {})}
    return dispatch.create_run(run.task, Run.Trigger.REPLAY, params=merged, replay_of=run, by=by)
