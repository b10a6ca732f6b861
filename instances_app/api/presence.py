"""The live instances for the API: instances_app.presence reads the presence keys (SCAN, never
KEYS); this normalises each record leniently, so a record from an older or newer version (a
missing field, a wrong type) still lists the instance with what could be read."""

from __future__ import annotations

from instances_app import presence as presence_keys


def _int_or_none(value):
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    return int(value) if isinstance(value, str) and value.isdigit() else None


def _text_or_none(value):
    return None if value in (None, "") else str(value)


def normalise(record: dict) -> dict:
    roles = record.get("roles")
    if isinstance(roles, str):
        roles = [r for r in roles.split(",") if r]
    return {
        "instance_id": str(record.get("instance_id") or ""),
        "roles": [str(r) for r in roles] if isinstance(roles, list) else [],
        "leader": record.get("leader") in (True, "true", "1", 1),
        "started_at": _text_or_none(record.get("started_at")),
        "version": str(record.get("version") or ""),
        "host": str(record.get("host") or ""),
        "pid": _int_or_none(record.get("pid")),
        "inbox_pending": _int_or_none(record.get("inbox_pending")),
        "seen_at": _text_or_none(record.get("at")),
    }


def live_instances() -> list[dict]:
    return [normalise(r) for r in presence_keys.live_instances() if isinstance(r, dict) and r.get("instance_id")]
