"""What a notification says: the documented JSON body, its Slack and Teams forms, the e-mail, the
optional text template, and the webhook signature.

The body (README "Notifications"; `id` is added at delivery, the rest is written with the
notification, as of the event):

    {"id": 42, "event": "failed", "title": "...", "text": "...", "occurred_at": "<ISO 8601>",
     "task": {"id", "name", "type", "tags"},
     "run": {"id", "status", "previous_status", "attempt", "trigger", "scheduled_for", "started_at",
             "finished_at", "exit_code", "http_status", "error", "worker", "output": [last 20 lines]} | null,
     "consecutive_failures": 3, "sla": {...} | null,
     "links": {"console": ".../ui/runs/7", "api": ".../api/v1/runs/7/"}, "rule": 5, "channel": "ops"}
"""

from __future__ import annotations

import hashlib
import hmac
import json
import string

from django.conf import settings

OUTPUT_LINES = 20
MAX_LINE = 500
MAX_TEMPLATE = 8192
MAX_ERROR = 2000
PLACEHOLDERS = frozenset({"title", "event", "task", "task_id", "status", "previous_status", "run_id", "attempt",
                          "exit_code", "http_status", "error", "worker", "consecutive_failures", "console_url",
                          "api_url", "occurred_at"})
TITLES = {
    "failed": "{task} failed", "timed_out": "{task} timed out", "dead": "{task} is dead: retries exhausted",
    "recovered": "{task} recovered", "succeeded": "{task} succeeded", "cancelled": "{task} was cancelled",
    "late": "{task} is late", "stale": "{task} is stale", "long_running": "{task} is running long",
    "paused": "{task} was paused", "test": "Test message from Taskplane",
}


def template_problem(template: str) -> str | None:
    """Why a channel's template cannot be used, or None. `$name` placeholders, `$$` for a dollar."""
    if not template:
        return None
    if not isinstance(template, str):
        return "must be text"
    if len(template) > MAX_TEMPLATE:
        return f"at most {MAX_TEMPLATE} characters (this one has {len(template)})"
    parsed = string.Template(template)
    if not parsed.is_valid():
        return "a $ must start a placeholder such as $task or ${task}; write $$ for a dollar sign"
    unknown = sorted(set(parsed.get_identifiers()) - PLACEHOLDERS)
    if unknown:
        return f"unknown placeholder{'s' if len(unknown) > 1 else ''} {', '.join('$' + u for u in unknown)}; " \
               f"known: {', '.join('$' + p for p in sorted(PLACEHOLDERS))}"
    return None


def base_url() -> str:
    n = settings.TP.notifications
    return n.base_url or f"http://{settings.TP.api.bind_address}"


def links(run_id: int | None, task_id: int | None) -> dict:
    base = base_url()
    if run_id:
        return {"console": f"{base}/ui/runs/{run_id}", "api": f"{base}/api/v1/runs/{run_id}/"}
    if task_id:
        return {"console": f"{base}/ui/tasks/{task_id}", "api": f"{base}/api/v1/tasks/{task_id}/"}
    return {"console": f"{base}/ui/", "api": f"{base}/api/v1/"}


def tail(text: str, lines: int = OUTPUT_LINES) -> list[str]:
    return [line[:MAX_LINE] for line in (text or "").splitlines()[-lines:]]


def _iso(value):
    return value.isoformat() if value is not None else None


def run_part(run, previous_status: str = "") -> dict:
    return {
        "id": run.pk, "status": run.status, "previous_status": previous_status or None, "attempt": run.attempt,
        "trigger": run.trigger, "scheduled_for": _iso(run.scheduled_for), "started_at": _iso(run.started_at),
        "finished_at": _iso(run.finished_at), "exit_code": run.exit_code, "http_status": run.http_status,
        "error": (run.error or "")[:MAX_ERROR], "worker": run.worker or None,
        "output": tail(run.stdout) or tail(run.stderr),
    }


def task_part(task) -> dict:
    return {"id": task.pk, "name": task.name, "type": task.type, "tags": list(task.tags or [])}


def _summary(event: str, task: dict, run: dict | None, failures: int, sla: dict | None) -> str:
    parts = []
    if run:
        parts.append(f"run {run['id']} (attempt {run['attempt']}) ended {run['status']}")
        if run.get("exit_code") is not None:
            parts.append(f"exit code {run['exit_code']}")
        if run.get("http_status") is not None:
            parts.append(f"HTTP {run['http_status']}")
        if run.get("error"):
            parts.append(run["error"].splitlines()[0][:300] if run["error"].strip() else "")
    if failures > 1 and event in ("failed", "timed_out", "dead", "paused"):
        parts.append(f"{failures} failed runs in a row")
    if sla:
        parts.append(sla.get("description", ""))
    return "; ".join(p for p in parts if p) or TITLES.get(event, event).format(task=task.get("name", ""))


def body(event: str, task: dict | None, run: dict | None, *, failures: int = 0, sla: dict | None = None,
         rule_id: int | None = None, channel=None, occurred_at=None) -> dict:
    """The documented body (without `id`), with `text` from the channel's template if it has one."""
    task = task or {}
    title = TITLES.get(event, event).format(task=task.get("name", "a task"))
    payload = {
        "event": event, "title": title, "text": "", "occurred_at": _iso(occurred_at),
        "task": task or None, "run": run, "consecutive_failures": failures, "sla": sla,
        "links": links(run and run["id"], task.get("id")), "rule": rule_id,
        "channel": getattr(channel, "name", None),
    }
    payload["text"] = render_text(payload, getattr(channel, "template", ""))
    return payload


def render_text(payload: dict, template: str = "") -> str:
    if not template:
        return _summary(payload["event"], payload["task"] or {}, payload["run"], payload["consecutive_failures"],
                        payload["sla"])
    run, task = payload["run"] or {}, payload["task"] or {}
    values = {
        "title": payload["title"], "event": payload["event"], "task": task.get("name", ""), "task_id": task.get("id", ""),
        "status": run.get("status", ""), "previous_status": run.get("previous_status") or "",
        "run_id": run.get("id", ""), "attempt": run.get("attempt", ""), "exit_code": _text(run.get("exit_code")),
        "http_status": _text(run.get("http_status")), "error": run.get("error", ""), "worker": run.get("worker") or "",
        "consecutive_failures": payload["consecutive_failures"], "console_url": payload["links"]["console"],
        "api_url": payload["links"]["api"], "occurred_at": payload["occurred_at"] or "",
    }
    return string.Template(template).safe_substitute(values)[:MAX_TEMPLATE * 2]


def _text(value) -> str:
    return "" if value is None else str(value)


# ----- what goes on the wire


def webhook_body(payload: dict, notification_id: int, fmt: str) -> dict:
    if fmt == "slack":
        link = payload["links"]["console"]
        return {"text": f"*{payload['title']}*\n{payload['text']}\n<{link}|Open in Taskplane>"}
    if fmt == "teams":
        return {"type": "message", "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None,
            "content": {
                "$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "type": "AdaptiveCard", "version": "1.4",
                "body": [{"type": "TextBlock", "size": "Medium", "weight": "Bolder", "text": payload["title"], "wrap": True},
                         {"type": "TextBlock", "text": payload["text"], "wrap": True}],
                "actions": [{"type": "Action.OpenUrl", "title": "Open in Taskplane", "url": payload["links"]["console"]}],
            },
        }]}
    return {"id": notification_id, **payload}


def encode(body: dict) -> bytes:
    return json.dumps(body, separators=(",", ":"), sort_keys=True).encode()


def signature(secret: str, timestamp: str, raw: bytes) -> str:
    """X-Taskplane-Signature: sha256=HMAC-SHA256(secret, "<X-Taskplane-Timestamp>." + body)."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + raw, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def email_text(payload: dict) -> str:
    lines = [payload["title"], "", payload["text"], ""]
    run, task = payload["run"], payload["task"] or {}
    if task:
        lines.append(f"Task: {task.get('name')} (#{task.get('id')}, {task.get('type')})")
    if run:
        lines += [f"Run: {run['id']}, attempt {run['attempt']}, {run['status']}",
                  f"Exit code: {_text(run['exit_code']) or '-'}   HTTP status: {_text(run['http_status']) or '-'}"]
        if run["error"]:
            lines.append(f"Error: {run['error']}")
        if run["output"]:
            lines += ["", f"Last {len(run['output'])} lines of output:", *[f"  {line}" for line in run["output"]]]
    if payload["sla"]:
        lines.append(f"SLA: {payload['sla'].get('description', '')}")
    lines += ["", f"Console: {payload['links']['console']}", f"API: {payload['links']['api']}"]
    return "\n".join(lines)
