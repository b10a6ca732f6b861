"""Running one execution message on a worker node and reporting it over the broker.

The node has no database: everything it needs is in the message, and everything it
learns goes back to the control role as `started` and `finished` events.

The start claim (issue 14: an attempt's command starts at most once, a cancelled run's never):
a delivery draws a random token and sends `started` with it as its claim, then waits for the
control role's answer before it starts anything. The control role answers go to the first claim
of the current attempt and stop to any other (a redelivery after a killed pool child or a broker
restart, a superseded attempt, a cancelled run: the durable cancel mark is the run's row, which
the answer consults). The answer comes back on this node's own answer queue (the claim says so:
`answer_to`), which the main process consumes (workers_app/claim_answers.py) and leaves in the
node's ExecutionRegistry directory; the delivery polls for it. A lost claim or answer is asked
again every CLAIM_ASK_AGAIN_SECONDS with the same token (the control role answers a token it
recorded go again); with no answer at all the delivery gives up after CLAIM_GIVE_UP_SECONDS
without starting: at most once wins over at least once, and the run is the control role's to
conclude.
"""

import json
import logging
import os
import secrets
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from celery import current_app
from django.conf import settings

from scheduler_project import log_context, wire
from workers_app.executors import run_spec
from workers_app.executors.execution_registry import (
    ExecutionRegistry,
    default_runtime_dir,
    read_verdict,
    validate_execution_id,
)

log = logging.getLogger(__name__)
CLAIM_ASK_AGAIN_SECONDS = 5.0
CLAIM_GIVE_UP_SECONDS = 600.0
# The answer usually takes a few milliseconds (broker, one transaction, broker): poll fast first.
CLAIM_FAST_POLL_SECONDS, CLAIM_FAST_WINDOW_SECONDS, CLAIM_SLOW_POLL_SECONDS = 0.002, 1.0, 0.05
REQUIRED = ("run_id", "attempt", "fence", "execution_id", "type", "spec", "timeout_seconds")


# A node's directories are made and their ownership checked (ExecutionRegistry.__init__) at most
# this often per process: a pool child asks for them several times per run, and the checks were
# a twentieth of its CPU in B1. A directory removed meanwhile (a /tmp cleaner) is made again by
# the next check; until then, what would be written there fails and is retried (a claim is asked
# again, a report is sent without its copy on disk).
NODE_DIRS_CHECK_SECONDS = 30.0
_node_dirs: dict[tuple[str, str], tuple[float, ExecutionRegistry, Path]] = {}


def _dirs_of(node: str) -> tuple[ExecutionRegistry, Path]:
    key, now = (str(default_runtime_dir()), node), time.monotonic()
    known = _node_dirs.get(key)
    if known is None or now - known[0] >= NODE_DIRS_CHECK_SECONDS:
        registry = ExecutionRegistry(Path(key[0]) / node.replace("@", "_"))
        reports = registry.dir / "reports"
        reports.mkdir(mode=0o700, exist_ok=True)
        known = _node_dirs[key] = (now, registry, reports)
    return known[1], known[2]


def registry_for(node: str) -> ExecutionRegistry:
    """One registry per Celery node, so a stop addressed to one node never touches another's."""
    return _dirs_of(node)[0]


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


def event_of(execution: dict, kind: str, node: str, **fields) -> dict:
    return {
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


def send_event(event: dict) -> None:
    # argsrepr: what Flower and `inspect` show instead of Celery's saferepr of the whole event
    # (its output lines included), which cost a third of a send.
    current_app.send_task(wire.RUN_EVENT, args=[event], queue=settings.TP.message_queue.status_queue,
                          argsrepr=f"({event.get('kind')} of run {event.get('run_id')} attempt {event.get('attempt')})")


def report(execution: dict, kind: str, node: str, **fields) -> None:
    send_event(event_of(execution, kind, node, **fields))


# A finished execution's report is kept on disk, per node, until the broker accepted it (issue
# 14: outcomes survive outages). The delivery itself tries for REPORT_HOLD_SECONDS (its message
# is still active, so the node's heartbeats list the execution as running meanwhile); what is
# left then, or left by a pool child that died, the node's main process sends with each
# heartbeat (resend_reports). A report sent twice is applied once (events are compare-and-set).
REPORT_HOLD_SECONDS = 30.0
REPORT_RETRY_MAX_SECONDS = 2.0


def reports_dir(node: str) -> Path:
    return _dirs_of(node)[1]


def report_finished(execution: dict, node: str, **fields) -> bool:
    """Send the `finished` report, kept on disk until the broker took it. Returns whether it was
    sent (False: left on disk for resend_reports)."""
    event = event_of(execution, "finished", node, **fields)
    path = reports_dir(node) / f"{execution['execution_id']}.json"
    held = {"event": event, "pid": os.getpid()}
    tmp = path.with_name(f".tmp-{path.name}")
    try:
        tmp.write_text(json.dumps(held))
        os.replace(tmp, path)
    except OSError as exc:  # no disk: still try to send it
        log.error("report of %s not kept on disk: %s", execution["execution_id"], exc)
    began, delay = time.monotonic(), 0.2
    while True:
        try:
            send_event(event)
        except Exception as exc:
            if time.monotonic() - began >= REPORT_HOLD_SECONDS:
                log.error("report of %s not sent yet (%s); the node's main process sends it later",
                          execution["execution_id"], exc)
                return False
            log.warning("report of %s not sent (%s); trying again", execution["execution_id"], exc)
            time.sleep(delay)
            delay = min(delay * 2, REPORT_RETRY_MAX_SECONDS)
            continue
        path.unlink(missing_ok=True)
        return True


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def resend_reports(node: str) -> int:
    """Send the reports that their delivery left on disk: it gave up (REPORT_HOLD_SECONDS) or
    its process died. Runs in the node's main process; stops at the first the broker refuses."""
    sent = 0
    try:
        paths = sorted(reports_dir(node).glob("*.json"))
    except OSError as exc:
        log.error("cannot read the held reports of %s: %s", node, exc)
        return 0
    for path in paths:
        try:
            held = json.loads(path.read_text())
            age = time.time() - path.stat().st_mtime
        except FileNotFoundError:
            continue  # its delivery sent it meanwhile
        except (OSError, ValueError) as exc:
            log.error("dropping an unreadable held report %s: %s", path, exc)
            path.unlink(missing_ok=True)
            continue
        if age < REPORT_HOLD_SECONDS and _alive(int(held.get("pid") or 0)) and held.get("pid") != os.getpid():
            continue  # its delivery still tries
        try:
            send_event(held["event"])
        except Exception as exc:
            log.warning("held reports of %s not sent yet: %s", node, exc)
            break
        path.unlink(missing_ok=True)
        sent += 1
    return sent


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
    if missing:
        return f"execution message lacks {', '.join(missing)}"
    try:
        validate_execution_id(execution["execution_id"])  # it names files on this node
    except ValueError as exc:
        return str(exc)
    return ""


def claim_start(execution: dict, node: str, registry: ExecutionRegistry) -> tuple[bool, str]:
    """(may start, why not): the delivery's start claim (see the module's docstring)."""
    execution_id, claim = execution["execution_id"], secrets.token_hex(8)
    verdict_file, cancel_file = registry.verdict_path(execution_id, claim), registry.cancel_path(execution_id)
    began = time.monotonic()
    asked = None
    try:
        while True:
            now = time.monotonic()
            if asked is None or now - asked >= CLAIM_ASK_AGAIN_SECONDS:
                asked = now
                try:
                    report(execution, "started", node, pid=os.getpid(), claim=claim, answer_to=wire.ANSWER_TO_QUEUE)
                except Exception as exc:  # the broker is away: ask again later
                    log.warning("start claim of %s not sent: %s", execution_id, exc)
            answer = read_verdict(verdict_file)
            if answer is not None:
                verdict, reason = answer
                return verdict == "go", reason
            if os.path.exists(cancel_file):
                return False, "cancelled"
            if now - began >= CLAIM_GIVE_UP_SECONDS:
                return False, f"no answer to the start claim in {CLAIM_GIVE_UP_SECONDS:g}s"
            fast = now - began < CLAIM_FAST_WINDOW_SECONDS
            time.sleep(CLAIM_FAST_POLL_SECONDS if fast else CLAIM_SLOW_POLL_SECONDS)
    finally:
        registry.forget_verdict(execution_id, claim)


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
    registry = registry_for(node)
    go, reason = claim_start(execution, node, registry)
    if not go:
        # Nothing started, so nothing to report: the run's record is the attempt that did start.
        log.info("not starting %s: %s", execution["execution_id"], reason)
        return "stopped"
    # Our own lines for the run's start and outcome: Celery's "received" and "succeeded" are
    # DEBUG, and the task "succeeds" whatever the run's outcome (logging_config).
    log.info("run %s attempt %s started (%s, %s)", execution["run_id"], execution["attempt"], execution["type"],
             execution["execution_id"])
    forward = OutputForwarder(execution, node)
    result = run_spec(
        execution["type"], prepare_spec(execution),
        timeout=execution["timeout_seconds"],
        output_cap=settings.TP.worker.max_output_bytes,
        execution_id=execution["execution_id"],
        registry=registry,
        on_output=forward,
    )
    forward.flush()
    report_finished(execution, node, **result.to_dict())
    outcome = {"status": result.status, "exit_code": result.exit_code, "http_status": result.http_status,
               "duration_seconds": round(result.duration_seconds, 3)}
    log.log(logging.INFO if result.status == "succeeded" else logging.WARNING,
            "run %s attempt %s %s%s", execution["run_id"], execution["attempt"], result.status,
            f": {result.error}" if result.error else "", extra={k: v for k, v in outcome.items() if v is not None})
    return result.status
