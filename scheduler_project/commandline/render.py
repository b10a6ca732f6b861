"""Text output of the objects the REST API returns (the same dicts, whether a management command
serialized them with the API's serializers or the remote client got them over HTTP), so the
local and the remote command print the same thing."""

from __future__ import annotations

from datetime import UTC, datetime

from scheduler_project.tables import render


def parse_time(value) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def when(value) -> str:
    """An API time as 'YYYY-MM-DD HH:MM:SSZ' (UTC), '-' when empty."""
    moment = parse_time(value)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ") if moment else "-"


def duration(start, end) -> str:
    started, ended = parse_time(start), parse_time(end)
    if not started:
        return "-"
    seconds = ((ended or datetime.now(UTC)) - started).total_seconds()
    text = f"{seconds:.1f}s" if seconds < 60 else f"{int(seconds // 60)}m{int(seconds % 60):02d}s"
    return text if ended else text + "+"


def ago(value) -> str:
    moment = parse_time(value)
    return f"{int((datetime.now(UTC) - moment).total_seconds())}s ago" if moment else "-"


def schedule_text(schedule) -> str:
    return " ".join(f"{k}={v}" for k, v in (schedule or {}).items()) or "-"


def tasks_table(tasks: list[dict]) -> str:
    if not tasks:
        return "no tasks defined"
    rows = [[t["id"], t["name"], t["type"], schedule_text(t.get("schedule")), "yes" if t["enabled"] else "no",
             t["overlap_policy"], t["misfire_policy"], when(t.get("next_fire_at")) if t.get("next_fire_at") else "-"]
            for t in tasks]
    return render(["ID", "NAME", "TYPE", "SCHEDULE", "ENABLED", "OVERLAP", "MISFIRE", "NEXT FIRE (UTC)"], rows)


def fields(pairs: list[tuple[str, object]]) -> str:
    width = max(len(k) for k, _ in pairs)
    return "\n".join(f"{k + ':':<{width + 1}} {'-' if v in (None, '', [], {}) else v}" for k, v in pairs)


def task_detail(task: dict) -> str:
    spec = task.get("spec") or {}
    return fields([
        ("task", f"{task['name']} (#{task['id']})"), ("type", task["type"]),
        ("spec", " ".join(f"{k}={v}" for k, v in spec.items())), ("schedule", schedule_text(task.get("schedule"))),
        ("enabled", "yes" if task["enabled"] else "no (paused)"), ("next fire", when(task.get("next_fire_at"))),
        ("params", task.get("params")), ("timeout", f"{task.get('timeout_seconds')}s"),
        ("retries", f"{task.get('max_retries')} (delay {task.get('retry_delay_seconds')}s, backoff {task.get('retry_backoff')})"),
        ("overlap", task["overlap_policy"]),
        ("misfire", f"{task['misfire_policy']} (grace {task.get('misfire_grace_seconds')}s)"),
        ("routing", task.get("queue") or ",".join(task.get("tags") or []) or "by type"),
        ("description", task.get("description")),
    ])


def runs_table(runs: list[dict]) -> str:
    if not runs:
        return "no runs match"
    rows = [[r["id"], r["task_name"], r["status"], r["trigger"], r["attempt"], r.get("worker") or "-",
             when(r["created_at"]), duration(r.get("started_at"), r.get("finished_at")),
             r["exit_code"] if r.get("exit_code") is not None else (r.get("http_status") or "-")]
            for r in runs]
    return render(["ID", "TASK", "STATUS", "TRIGGER", "ATTEMPT", "WORKER", "CREATED (UTC)", "DURATION", "EXIT"], rows)


def run_summary(run: dict) -> str:
    result = run["exit_code"] if run.get("exit_code") is not None else run.get("http_status")
    return (f"run {run['id']} ({run['task_name']}): {run['status']}"
            + (f", exit {result}" if result is not None else "")
            + (f", attempt {run['attempt']}" if run.get("attempt", 1) > 1 else "")
            + (f": {run['error']}" if run.get("error") else ""))


def run_detail(run: dict) -> str:
    text = fields([
        ("run", f"{run['id']} of {run['task_name']} (task #{run['task']})"), ("status", run["status"]),
        ("trigger", run["trigger"]), ("params", run.get("params")), ("attempt", run["attempt"]),
        ("worker", run.get("worker")), ("queue", run.get("queue")), ("created", when(run["created_at"])),
        ("scheduled for", when(run.get("scheduled_for"))), ("started", when(run.get("started_at"))),
        ("finished", when(run.get("finished_at"))), ("duration", duration(run.get("started_at"), run.get("finished_at"))),
        ("exit code", run.get("exit_code")), ("http status", run.get("http_status")), ("error", run.get("error")),
        ("held", run.get("hold_reason")), ("routing", run.get("routing_error")),
        ("cancelled by", run.get("cancelled_by")), ("replay of", run.get("replay_of")),
    ])
    attempts = run.get("attempts") or []
    if attempts:
        text += "\n\n" + render(["ATTEMPT", "STATUS", "WORKER", "STARTED (UTC)", "DURATION", "EXIT", "ERROR"], [
            [a["attempt"], a["status"], a.get("worker") or "-", when(a.get("started_at")),
             duration(a.get("started_at"), a.get("finished_at")),
             a["exit_code"] if a.get("exit_code") is not None else (a.get("http_status") or "-"), (a.get("error") or "")[:60]]
            for a in attempts])
    for stream in ("stdout", "stderr"):
        if run.get(stream):
            text += f"\n\n--- {stream} ---\n{run[stream].rstrip(chr(10))}"
    return text


def workers_table(workers: list[dict]) -> str:
    if not workers:
        return "no worker has sent a heartbeat yet"
    rows = [[w["worker_id"], w["status"] + (f" ({w['drain_state']})" if w.get("drain_state") else ""),
             "STALLED" if w.get("stalled_since") else "ok", w.get("host"), f"{len(w.get('running') or [])}/{w['concurrency']}",
             ",".join(w.get("task_types") or []), ",".join(w.get("tags") or []) or "-", ago(w.get("last_heartbeat")),
             w.get("executions_started"), w.get("version")]
            for w in workers]
    return render(["WORKER", "STATUS", "HEALTH", "HOST", "RUNNING", "TYPES", "TAGS", "HEARTBEAT", "STARTED", "VERSION"], rows)


def worker_detail(worker: dict) -> str:
    return fields([(key.replace("_", " "), worker.get(key)) for key in (
        "worker_id", "status", "drain_state", "healthy", "stalled_since", "host", "node", "pid", "version", "task_types",
        "tags", "queues", "consuming", "concurrency", "running", "load", "executions_started", "executions_finished",
        "first_seen", "last_heartbeat", "drain_requested_by", "drain_deadline", "drained_at")])


def letter_time(letter: dict) -> str:
    return letter.get("failed_at") or letter.get("moved_at") or letter.get("created_at") or ""


def letters_table(letters: list[dict]) -> str:
    if not letters:
        return "no dead letters"
    rows = [[d["id"], d["source"], d.get("task_name") or d.get("type") or "-",
             d.get("instance_id") or "-", d.get("attempts") if d["source"] == "run" else d.get("deliveries"),
             when(letter_time(d)), (d.get("reason") or "")[:60]]
            for d in letters]
    return render(["ID", "SOURCE", "TASK / TYPE", "INSTANCE", "TRIES", "DEAD SINCE (UTC)", "REASON"], rows)


def merge_letters(*sources: list[dict], limit: int) -> list[dict]:
    """Dead runs and inbox letters in one list, newest first."""
    merged = [letter for source in sources for letter in source]
    merged.sort(key=lambda d: parse_time(letter_time(d)) or datetime.min.replace(tzinfo=UTC), reverse=True)
    return merged[:limit]


def instances_table(instances: list[dict]) -> str:
    if not instances:
        return "no live instance"
    rows = [[i["instance_id"], "yes" if i["leader"] else "", ",".join(i["roles"]), i.get("started_at") or "",
             i.get("version"), "" if i.get("inbox_pending") is None else i["inbox_pending"]] for i in instances]
    return render(["INSTANCE", "LEADER", "ROLES", "STARTED", "VERSION", "INBOX PENDING"], rows)
