"""Running one execution message on a worker node and reporting it over the broker.

The node has no database: everything it needs is in the message, and everything it
learns goes back to the control role as `started` and `finished` events.
"""

import json
import logging
import os
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from celery import current_app
from django.conf import settings

from scheduler_project import log_context, wire
from workers_app.executors import run_spec
from workers_app.executors.execution_registry import ExecutionRegistry, default_runtime_dir

log = logging.getLogger(__name__)
REQUIRED = ("run_id", "attempt", "fence", "execution_id", "type", "spec", "timeout_seconds")


def registry_for(node: str) -> ExecutionRegistry:
    """One registry per Celery node, so a stop addressed to one node never touches another's."""
    return ExecutionRegistry(Path(default_runtime_dir()) / node.replace("@", "_"))


def prepare_spec(execution: dict) -> dict:
    """The spec as the executor runs it. A shell command gets TP_RUN_ID, TP_ATTEMPT,
    TP_EXECUTION_ID, and its parameters as TP_PARAMS (JSON) and TP_PARAM_<NAME> variables,
    never spliced into the command line; an HTTP call gets its parameters as query parameters."""
    spec, params = dict(execution["spec"]), execution.get("params") or {}
    as_text = {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}
    if execution["type"] == "shell":
        env = dict(spec.get("env") or {})
        env.update({f"TP_PARAM_{k.upper()}": v for k, v in as_text.items()})
        env.update(
            TP_RUN_ID=str(execution["run_id"]), TP_ATTEMPT=str(execution["attempt"]),
            TP_EXECUTION_ID=execution["execution_id"], TP_PARAMS=json.dumps(params),
        )
        spec["env"] = env
    elif execution["type"] == "http" and as_text:
        spec["params"] = as_text
    return spec


def report(execution: dict, kind: str, node: str, **fields) -> None:
    event = {
        "kind": kind,
        "run_id": execution["run_id"],
        "attempt": execution["attempt"],
        "fence": execution["fence"],
        "worker": node.split("@", 1)[-1],
        "node": node,
        "task_id": execution.get("task_id"),  # for the control role's log lines only
        "task": execution.get("task"),
        "at": datetime.now(UTC).isoformat(),
        **fields,
    }
    current_app.send_task(wire.RUN_EVENT, args=[event], queue=settings.TP.message_queue.status_queue)


class OutputForwarder:
    """A shell run's output lines, sent to the control role in small batches while it runs (for
    live viewers; the record is the captured output in the `finished` event). A line is sent at
    once after a quiet spell, fast output at most every FLUSH_SECONDS, at most MAX_LINES a batch;
    a line left waiting is sent by a timer FLUSH_SECONDS later, not held until the next line.
    Each batch says the number of its first line (`first_line`, lines dropped before it
    included), so viewers can order batches the control role applied out of order."""

    FLUSH_SECONDS = 0.5
    MAX_LINES = 500

    def __init__(self, execution: dict, node: str):
        self.execution, self.node = execution, node
        self.lines: list[list[str]] = []
        self.dropped = 0
        self.last_flush = 0.0
        self.next_line = 1  # the number of the first line not yet sent
        self.lock = threading.Lock()  # the buffer: the two pipe readers and the timer
        self.sending = threading.Lock()  # batches leave in the order they were taken
        self.timer: threading.Timer | None = None
        self.log_fields = log_context.current()  # the timer's thread logs about the same run

    def __call__(self, stream: str, line: str) -> None:
        with self.lock:
            if len(self.lines) < self.MAX_LINES:
                self.lines.append([stream, line[:4096]])
            else:
                self.dropped += 1
            due = time.monotonic() - self.last_flush >= self.FLUSH_SECONDS
            if not due and self.timer is None:
                self.timer = threading.Timer(self.FLUSH_SECONDS, self.flush_bound)
                self.timer.daemon = True
                self.timer.start()
        if due:
            self.flush()

    def flush_bound(self) -> None:
        with log_context.bound(**self.log_fields):
            self.flush()

    def flush(self) -> None:
        with self.sending:
            with self.lock:
                if self.timer is not None:
                    self.timer.cancel()
                    self.timer = None
                if not self.lines:
                    return
                lines, dropped, first = self.lines, self.dropped, self.next_line
                self.lines, self.dropped, self.last_flush = [], 0, time.monotonic()
                self.next_line += len(lines) + dropped
            try:
                report(self.execution, "output", self.node, task_id=self.execution.get("task_id"), lines=lines,
                       dropped=dropped, first_line=first)
            except Exception as exc:  # live output is best effort; the run's record is not affected
                log.warning("output of %s not forwarded: %s", self.execution["execution_id"], exc)


def invalid_reason(execution) -> str:
    if not isinstance(execution, dict):
        return f"execution must be an object, got {type(execution).__name__}"
    missing = [k for k in REQUIRED if k not in execution]
    return f"execution message lacks {', '.join(missing)}" if missing else ""


def run_execution(execution: dict, node: str) -> str:
    fields = execution if isinstance(execution, dict) else {}
    with log_context.bound(run_id=fields.get("run_id"), task_id=fields.get("task_id"), task=fields.get("task"),
                           attempt=fields.get("attempt"), worker_id=node.split("@", 1)[-1]):
        return _run_execution(execution, node)


def _run_execution(execution: dict, node: str) -> str:
    problem = invalid_reason(execution)
    if problem:
        if isinstance(execution, dict) and {"run_id", "attempt", "fence"} <= set(execution):
            report(execution, "finished", node, status="failed", error=f"invalid execution message: {problem}")
        log.error("dropping an invalid execution message: %s: %r", problem, execution)
        return "invalid"
    # Our own lines for the run's start and outcome: Celery's "received" and "succeeded" are
    # DEBUG, and the task "succeeds" whatever the run's outcome (logging_config).
    log.info("run %s attempt %s started (%s, %s)", execution["run_id"], execution["attempt"], execution["type"],
             execution["execution_id"])
    report(execution, "started", node, pid=os.getpid())
    forward = OutputForwarder(execution, node)
    result = run_spec(
        execution["type"], prepare_spec(execution),
        timeout=execution["timeout_seconds"],
        output_cap=settings.TP.worker.max_output_bytes,
        execution_id=execution["execution_id"],
        registry=registry_for(node),
        on_output=forward,
    )
    forward.flush()
    report(execution, "finished", node, **result.to_dict())
    outcome = {"status": result.status, "exit_code": result.exit_code, "http_status": result.http_status,
               "duration_seconds": round(result.duration_seconds, 3)}
    log.log(logging.INFO if result.status == "succeeded" else logging.WARNING,
            "run %s attempt %s %s%s", execution["run_id"], execution["attempt"], result.status,
            f": {result.error}" if result.error else "", extra={k: v for k, v in outcome.items() if v is not None})
    return result.status
