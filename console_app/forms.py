"""The console's forms: HTML fields in, the API's JSON out, and the API's messages back.

A task form is a presentation of the REST API's task body: its fields (the schedule builder's
cron / interval / one-off, the zone picker, lines of NAME=value ...) are assembled into the
body `POST /api/v1/tasks/` takes, validated by the API's own TaskSerializer and saved through
it (the model's clean(), tasks_app.specs and schedules decide, as for the API), so a form says
exactly what the API says. Each message goes next to the field it names ("spec.command" next
to the command box); a refused save changes nothing (one transaction, console_app.actions).
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction

from console_app.present import zone_names
from tasks_app.api.serializers import TaskSerializer
from tasks_app.models import Task
from tasks_app.specs import HTTP_METHODS
from workers_app.api.serializers import DrainSerializer  # noqa: F401  the drain form is the API's body

__all__ = ["HTTP_METHODS", "PRESETS", "DrainSerializer", "ParamRows", "TaskForm", "flatten"]

SPEC_FIELDS = {
    "spec.command": "command", "spec.argv": "argv", "spec.env": "env", "spec.cwd": "cwd", "spec.url": "url",
    "spec.method": "method", "spec.headers": "headers", "spec.body": "body",
    "spec.expected_statuses": "expected_statuses", "spec.timeout_seconds": "http_timeout",
}
SCHEDULE_FIELDS = {"cron": "cron", "timezone": "timezone", "interval_seconds": "interval_every",
                   "anchor": "anchor", "at": "at"}
UNITS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}
NUMBER_FIELDS = ("timeout_seconds", "max_retries", "retry_delay_seconds", "retry_backoff", "retry_delay_max_seconds",
                 "misfire_grace_seconds", "retention_days")
PRESETS = [("*/5 * * * *", "every 5 minutes"), ("0 * * * *", "hourly"), ("0 2 * * *", "daily at 02:00"),
           ("0 9 * * 1-5", "weekdays at 09:00"), ("0 0 1 * *", "monthly, on the 1st")]


def flatten(detail, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested errors as {"a.b": [messages]} (the API's `fields`)."""
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            for path, messages in flatten(value, f"{prefix}.{key}" if prefix else str(key)).items():
                out.setdefault(path, []).extend(messages)
    elif isinstance(detail, list) and all(not isinstance(item, (dict, list)) for item in detail):
        out[prefix or "non_field_errors"] = [str(item) for item in detail]
    elif isinstance(detail, list):
        for index, item in enumerate(detail):
            out.update(flatten(item, f"{prefix}.{index}"))
    else:
        out[prefix or "non_field_errors"] = [str(detail)]
    return out


def field_of(path: str, message: str) -> str:
    """The form field an API error path belongs to."""
    if path in SPEC_FIELDS:
        return SPEC_FIELDS[path]
    if path == "schedule":
        found = re.match(r"schedule\.(\w+):", message)
        return SCHEDULE_FIELDS.get(found.group(1), "schedule") if found else "schedule"
    if path.startswith("params"):
        return "params"
    if path in ("non_field_errors", "__all__"):
        return "__all__"
    return path.split(".")[0]


def shown(value) -> str:
    """A parameter's value as a text box shows it."""
    return value if isinstance(value, str) else json.dumps(value)


class ParamRows:
    """Parameters as rows of name and value (the trigger and replay forms, a task's defaults).
    A value stays as typed text, except that an unchanged row keeps its original (a number
    stays a number)."""

    def __init__(self, original: dict | None = None, data=None, extra: int = 3):
        self.original = dict(original or {})
        self.errors: list[str] = []
        if data is None:
            self.rows = [(k, shown(v)) for k, v in self.original.items()] + [("", "")] * extra
        else:
            keys, values = data.getlist("param_key"), data.getlist("param_value")
            self.rows = list(zip(keys, values + [""] * (len(keys) - len(values))))

    def value(self) -> dict:
        params = {}
        for key, text in self.rows:
            key = key.strip()
            if not key:
                if text.strip():
                    self.errors.append(f"a parameter needs a name (value {text[:40]!r})")
                continue
            if key in params:
                self.errors.append(f"parameter {key!r} is given twice")
            original = self.original.get(key)
            params[key] = original if key in self.original and shown(original) == text else text
        return params


class TaskForm:
    """A task's definition as form fields; `values` re-fill the page, `errors` sit next to them."""

    def __init__(self, task: Task | None = None, data=None):
        self.task, self.data = task, data
        self.errors: dict[str, list[str]] = {}
        self.params = ParamRows(task.params if task else {}, data if data is not None else None)
        self.values = self._from_post(data) if data is not None else self._from_task(task)
        self.serializer = None

    # --- the page's values

    @staticmethod
    def _from_task(task: Task | None) -> dict:
        values = {"type": "shell", "method": "GET", "schedule_kind": "none", "timezone": "UTC", "interval_unit":
                  "minutes", "enabled": True, "retry_jitter": True, "overlap_policy": "allow",
                  "misfire_policy": "run_once", "retry_backoff": "2.0", "retry_delay_max_seconds": "3600.0",
                  "misfire_grace_seconds": "60"}
        if task is None:
            return values
        spec, schedule = task.spec or {}, task.schedule or {}
        values.update(
            name=task.name, description=task.description, type=task.type, enabled=task.enabled,
            command=spec.get("command") or "", argv="\n".join(spec.get("argv") or []),
            env="\n".join(f"{k}={v}" for k, v in (spec.get("env") or {}).items()), cwd=spec.get("cwd") or "",
            url=spec.get("url") or "", method=spec.get("method") or "GET",
            headers="\n".join(f"{k}: {v}" for k, v in (spec.get("headers") or {}).items()),
            body=spec["body"] if isinstance(spec.get("body"), str) else (json.dumps(spec["body"]) if spec.get("body")
                                                                         is not None else ""),
            expected_statuses=", ".join(str(s) for s in spec.get("expected_statuses") or []),
            http_timeout="" if spec.get("timeout_seconds") is None else str(spec["timeout_seconds"]),
            tags=", ".join(task.tags or []), queue=task.queue, retry_jitter=task.retry_jitter,
            overlap_policy=task.overlap_policy, misfire_policy=task.misfire_policy,
        )
        for name in NUMBER_FIELDS:
            value = getattr(task, name)
            values[name] = "" if value is None else str(value)
        if "cron" in schedule:
            values.update(schedule_kind="cron", cron=schedule["cron"], timezone=schedule.get("timezone") or "UTC")
        elif "interval_seconds" in schedule:
            seconds = schedule["interval_seconds"]
            unit = next((u for u in ("days", "hours", "minutes") if isinstance(seconds, int) and seconds % UNITS[u] == 0),
                        "seconds")
            values.update(schedule_kind="interval", interval_every=str(seconds // UNITS[unit]) if isinstance(
                seconds, int) else str(seconds), interval_unit=unit, timezone="UTC",
                anchor=_local_text(schedule.get("anchor"), "UTC"))
        elif "at" in schedule:
            values.update(schedule_kind="once", timezone="UTC", at=_local_text(schedule["at"], "UTC"))
        return values

    @staticmethod
    def _from_post(data) -> dict:
        text = {name: data.get(name, "") for name in (
            "name", "description", "type", "command", "argv", "env", "cwd", "url", "method", "headers", "body",
            "expected_statuses", "http_timeout", "schedule_kind", "cron", "timezone", "interval_every",
            "interval_unit", "anchor", "at", "tags", "queue", "overlap_policy", "misfire_policy", *NUMBER_FIELDS)}
        text["enabled"] = data.get("enabled") == "on"
        text["retry_jitter"] = data.get("retry_jitter") == "on"
        return text

    # --- the API body

    def _add(self, field: str, message: str) -> None:
        self.errors.setdefault(field, []).append(message)

    def _lines(self, field: str, separator: str, what: str) -> dict | None:
        found = {}
        for number, line in enumerate(self.values.get(field, "").splitlines(), start=1):
            if not line.strip():
                continue
            name, sep, value = line.partition(separator)
            if not sep or not name.strip():
                self._add(field, f"line {number}: write {what}")
                continue
            found[name.strip()] = value.strip() if separator == ":" else value
        return found or None

    def _moment(self, field: str, zone: str):
        raw = (self.values.get(field) or "").strip()
        if not raw:
            return None
        try:
            moment = datetime.fromisoformat(raw)
        except ValueError:
            return raw  # the schedule's own check says what is wrong with it
        if moment.tzinfo is None:
            try:
                moment = moment.replace(tzinfo=ZoneInfo(zone))
            except Exception:  # noqa: BLE001  the zone is judged with the schedule
                return raw
        return moment.isoformat()

    def _schedule(self):
        v = self.values
        kind, zone = v.get("schedule_kind"), (v.get("timezone") or "UTC").strip()
        if kind == "cron":
            return {"cron": v.get("cron", ""), "timezone": zone}
        if kind in ("interval", "once") and zone not in zone_names():
            self._add("timezone", f"schedule.timezone: unknown time zone '{zone}'")
        if kind == "interval":
            every = (v.get("interval_every") or "").strip()
            unit = UNITS.get(v.get("interval_unit"), 1)
            seconds = int(every) * unit if every.isdigit() else every  # not a number: the schedule says so
            schedule = {"interval_seconds": seconds}
            anchor = self._moment("anchor", zone)
            if anchor:
                schedule["anchor"] = anchor
            return schedule
        if kind == "once":
            return {"at": self._moment("at", zone) or ""}
        return None

    def body(self) -> dict:
        v = self.values
        if v["type"] == "http":
            spec = {"url": v["url"].strip(), "method": v.get("method") or "GET"}
            headers = self._lines("headers", ":", "Name: value")
            if headers:
                spec["headers"] = headers
            if v.get("body", "").strip():
                try:
                    spec["body"] = json.loads(v["body"]) if v["body"].strip()[:1] in "{[" else v["body"]
                except ValueError:
                    spec["body"] = v["body"]
            if v.get("expected_statuses", "").strip():
                spec["expected_statuses"] = [int(s) if s.strip().isdigit() else s.strip()
                                             for s in re.split(r"[,\s]+", v["expected_statuses"].strip()) if s.strip()]
            if v.get("http_timeout", "").strip():
                try:
                    spec["timeout_seconds"] = float(v["http_timeout"])
                except ValueError:
                    spec["timeout_seconds"] = v["http_timeout"]
        else:
            spec = {}
            if v.get("command", "").strip():
                spec["command"] = v["command"]
            argv = [line for line in v.get("argv", "").splitlines() if line.strip()]
            if argv:
                spec["argv"] = argv
            env = self._lines("env", "=", "NAME=value")
            if env:
                spec["env"] = env
            if v.get("cwd", "").strip():
                spec["cwd"] = v["cwd"].strip()
        body = {
            "name": v["name"].strip(), "description": v.get("description", ""), "type": v["type"], "spec": spec,
            "schedule": self._schedule(), "params": self.params.value(), "enabled": v["enabled"],
            "tags": [t for t in re.split(r"[,\s]+", v.get("tags", "").strip()) if t],
            "queue": v.get("queue", "").strip(), "retry_jitter": v["retry_jitter"],
            "overlap_policy": v.get("overlap_policy"), "misfire_policy": v.get("misfire_policy"),
        }
        for name in NUMBER_FIELDS:
            raw = (v.get(name) or "").strip()
            if raw:
                body[name] = raw
            elif name in ("max_retries", "retry_delay_seconds", "retention_days"):
                body[name] = None  # empty: the configured default
        for message in self.params.errors:
            self._add("params", message)
        return body

    # --- validate and save, as the API does

    def is_valid(self) -> bool:
        body = self.body()
        self.serializer = TaskSerializer(self.task, data=body)
        if not self.serializer.is_valid():
            for path, messages in flatten(self.serializer.errors).items():
                for message in messages:
                    self._add(field_of(path, message), message)
        return not self.errors

    def save(self) -> Task:
        """Write the task (inside the caller's transaction); raises DjangoValidationError with
        the fields the model refused (clean(), or the name's unique constraint)."""
        try:
            with transaction.atomic():
                return self.serializer.save()
        except DjangoValidationError as exc:
            self.errors.clear()
            for path, messages in (exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}).items():
                for message in messages:
                    self._add(field_of(path, message), message)
            raise
        except IntegrityError:
            # The API's answer to the same violation (scheduler_project.api.errors).
            message = f"{Task._meta.verbose_name} with this name already exists."
            self.errors = {"name": [message]}
            raise DjangoValidationError({"name": [message]}) from None

    def error_list(self) -> list[tuple[str, str]]:
        return [(field, message) for field, messages in self.errors.items() for message in messages]


def _local_text(iso: str | None, zone: str) -> str:
    """An ISO time as a datetime-local input shows it, in `zone`."""
    if not iso:
        return ""
    try:
        moment = datetime.fromisoformat(iso)
    except (TypeError, ValueError):
        return str(iso)
    if moment.tzinfo is not None:
        moment = moment.astimezone(ZoneInfo(zone))
    return moment.strftime("%Y-%m-%dT%H:%M:%S")
