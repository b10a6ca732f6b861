"""Typed JSON fields, so that OpenAPI tells clients (and schemathesis) the shapes DESIGN.md's
contract fixes; the model's clean() stays the authority on what is valid."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from scheduler_project.config.schema import NAME_RE as TAG_RE
from scheduler_project.queues import MAX_WORKER_TAGS

SHELL_SPEC = {
    "type": "object",
    "title": "shell spec",
    "additionalProperties": False,  # specs.py refuses unknown keys
    "properties": {
        "command": {"type": "string", "description": "run with /bin/sh -c"},
        "argv": {"type": "array", "items": {"type": "string"}, "description": "or the argument vector"},
        "env": {"type": "object", "additionalProperties": {"type": "string"}},
        "cwd": {"type": "string", "description": "absolute path"},
    },
}
HTTP_SPEC = {
    "type": "object",
    "title": "http spec",
    "required": ["url"],
    "additionalProperties": False,
    "properties": {
        "url": {"type": "string", "format": "uri"},
        "method": {"type": "string", "enum": ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]},
        "headers": {"type": "object", "additionalProperties": {"type": "string"}},
        "body": {},
        "expected_statuses": {"type": "array", "items": {"type": "integer", "minimum": 100, "maximum": 599}},
        "timeout_seconds": {"type": "number"},
    },
}
SCHEDULE = {
    "nullable": True,
    "description": 'null (none), {"cron": "*/5 * * * *", "timezone": "Europe/Berlin"}, '
                   '{"interval_seconds": 10} (optional "anchor") or {"at": "<ISO 8601>"}',
    "anyOf": [
        {"type": "object", "title": "cron", "required": ["cron"],
         "properties": {"cron": {"type": "string"}, "timezone": {"type": "string"}}},
        {"type": "object", "title": "interval", "required": ["interval_seconds"],
         "properties": {"interval_seconds": {"type": "integer", "minimum": 1},
                        "anchor": {"type": "string", "format": "date-time"}}},
        {"type": "object", "title": "one-off", "required": ["at"],
         "properties": {"at": {"type": "string", "format": "date-time"}}},
    ],
}


@extend_schema_field({"anyOf": [SHELL_SPEC, HTTP_SPEC], "description": "what to run; its keys depend on type"})
class SpecField(serializers.JSONField):
    pass


@extend_schema_field(SCHEDULE)
class ScheduleField(serializers.JSONField):
    pass


@extend_schema_field({
    "type": "array", "items": {"type": "string", "pattern": TAG_RE.pattern},
    "description": f"letters, digits and _ . @ -; at most {MAX_WORKER_TAGS} distinct tags (no worker holds more)",
})
class TagListField(serializers.JSONField):
    pass
