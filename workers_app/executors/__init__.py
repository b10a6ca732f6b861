"""Executors that run tasks on worker nodes. No database here: results travel over the broker."""

from __future__ import annotations

import logging

from .execution_registry import ExecutionRegistry
from .http import run_http
from .result import ExecutionResult, cap_text
from .shell import run_shell

__all__ = ["ExecutionRegistry", "ExecutionResult", "cap_text", "run_http", "run_shell", "run_spec"]

log = logging.getLogger(__name__)

_SHELL_OPTIONS = {"timeout", "output_cap", "execution_id", "registry", "kill_grace", "on_output"}
_HTTP_OPTIONS = {"timeout", "output_cap"}


def run_spec(task_type: str, spec: dict, **kwargs) -> ExecutionResult:
    """Run a task of the given type. Options a type does not use are ignored, so callers can
    pass the same set for every type. Never raises: a failure is a "failed" result."""
    try:
        if task_type == "shell":
            return run_shell(spec, **{k: v for k, v in kwargs.items() if k in _SHELL_OPTIONS})
        if task_type == "http":
            # An HTTP call cannot be stopped half-way here, but a cancel that came first holds.
            execution_id, registry = kwargs.get("execution_id"), kwargs.get("registry")
            if execution_id is not None and (registry or ExecutionRegistry()).cancel_requested(execution_id):
                return ExecutionResult("cancelled", error="cancelled before start")
            return run_http(spec, timeout=kwargs.get("timeout"), **{
                k: v for k, v in kwargs.items() if k in _HTTP_OPTIONS - {"timeout"}
            })
        return ExecutionResult("failed", error=f"unknown task type {task_type!r} (expected shell or http)")
    except Exception as exc:  # a bug here must still produce a reportable result
        log.exception("executor for %s failed", task_type)
        return ExecutionResult("failed", error=f"executor error: {type(exc).__name__}: {exc}")
