"""Operations on task definitions: trigger, pause, resume."""

from tasks_app.models import Run, Task
from tasks_app.services import dispatch
from scheduler_project.errors import EngineError


def trigger(task: Task, *, params: dict | None = None, by: str = "", trigger: str = Run.Trigger.MANUAL) -> Run:
    """Run a task now, with parameter overrides, whatever its schedule and enabled flag."""
    if params is not None and not isinstance(params, dict):
        raise EngineError("params must be an object")
    return dispatch.create_run(task, trigger, params=params)


def set_enabled(task: Task, enabled: bool) -> bool:
    """Pause or resume; returns whether anything changed. Saving syncs the beat row, and a
    resume starts the fire ledger from now (the paused time is not a misfire)."""
    if task.enabled == enabled:
        return False
    task.enabled = enabled
    task.save()
    return True
