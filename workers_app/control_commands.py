"""Celery remote-control commands served by worker nodes.

Remote-control commands run in the worker's main process (the consumer), not in a pool child,
so they keep working while every pool slot is busy running the very command to be cancelled.
They reach the pool children through the file-based ExecutionRegistry. Importing this module
only registers the commands.
"""

from celery.worker.control import control_command

from workers_app.execution import registry_for
from workers_app.executors.execution_registry import ExecutionRegistry

DEFAULT_GRACE_SECONDS = 5.0


def _registry(state) -> ExecutionRegistry:
    # Runs register in their Celery node's own directory (workers_app.execution.registry_for),
    # so the cancel must look there, not in the shared default directory.
    node = getattr(getattr(state, "consumer", None), "hostname", None)
    if not node:
        return ExecutionRegistry()
    return registry_for(node)


@control_command(
    args=[("execution_id", str), ("grace_seconds", float)],
    signature="<execution_id> [grace_seconds]",
)
def taskplane_cancel(state, execution_id, grace_seconds=None, **kwargs):
    """Cancel a Taskplane execution on this worker (TERM its process group, grace, KILL)."""
    grace = DEFAULT_GRACE_SECONDS if grace_seconds is None else float(grace_seconds)
    try:
        found = _registry(state).request_cancel(execution_id, max(0.0, grace))
    except (ValueError, TypeError, OSError) as exc:
        return {"ok": False, "error": str(exc)}
    return {"ok": True, "found": found}


@control_command(
    args=[("execution_id", str), ("claim", str), ("verdict", str), ("reason", str)],
    signature="<execution_id> <claim> <verdict> [reason]",
)
def taskplane_verdict(state, execution_id, claim, verdict, reason="", **kwargs):
    """The control role's answer to a delivery's start claim (workers_app/execution.py), left
    in the registry for the pool child that waits for it: as a control role of an older version
    sends it. A current one answers on the node's own queue (workers_app/claim_answers.py)."""
    try:
        _registry(state).write_verdict(execution_id, claim, str(verdict), str(reason or ""))
    except (ValueError, TypeError, OSError) as exc:
        return {"ok": False, "error": str(exc)}
    return {"ok": True}
