"""Where a follower of a run (`runs logs --follow`, `tasks trigger --wait`) gets the run's live
events: the engine sends them out as signals (run_events) and names no subscriber, so the
source is a hook that instances_app provides (instances_app.live_events.follow: the very stream
the SSE endpoints serve). Without it, no live event comes and the run's record is polled.

The hook returns an iterator of event dicts (as the SSE `data:`; None on a quiet spell, so the
follower may poll) whose first item comes once its session is registered; for task_id it
carries the events of every run of the task (opened before a trigger, whose run id is not
known yet). When issue 16's per-execution output stream (backlog and resume) lands, its
provider yields the backlog first and nothing else changes here."""

from __future__ import annotations

from scheduler_project.commandline.follow import polling
from scheduler_project.hooks import Hook
from tasks_app import states

live_events = Hook("live_events", lambda run_id=None, task_id=None: polling())


def is_final(run: dict) -> bool:
    return run["status"] in states.FINAL
