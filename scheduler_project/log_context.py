"""The run a line is about, for every log line written while it is handled.

A worker running an execution and the control role applying a status event bind the run's
fields here (run_id, task_id, task, attempt, worker_id); logging_config.ContextFilter stamps
them on every record written meanwhile, by our code or a library's, so
`jq 'select(.run_id == 123)'` finds all of a run's lines. A ContextVar, not a global: the
control role handles events on several threads at once, and each thread (each asyncio task)
sees only its own binding. Threads started while bound see nothing unless they bind
`current()` themselves (workers_app.execution.OutputForwarder does).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_bound: ContextVar[dict] = ContextVar("taskplane_log_context", default={})  # noqa: B039 never mutated


def _clean(name: str, value):
    """A value as a log field: ids and attempts as ints, names as short strings. The values come
    from broker messages (a status event is only checked after this binding), so nothing odd
    or huge lands in every line."""
    if value is None or isinstance(value, bool):
        return None
    if name in ("run_id", "task_id", "attempt"):
        try:
            return int(value)
        except (TypeError, ValueError, OverflowError):
            return None
    return str(value)[:200] if isinstance(value, (str, int)) else None


@contextmanager
def bound(**fields) -> Iterator[None]:
    """Every line logged inside the block (in this thread or task) carries these fields; None and
    unusable values are left out."""
    clean = {name: _clean(name, value) for name, value in fields.items()}
    token = _bound.set({**_bound.get(), **{k: v for k, v in clean.items() if v is not None}})
    try:
        yield
    finally:
        _bound.reset(token)


def current() -> dict:
    return dict(_bound.get())
