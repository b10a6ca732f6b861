"""The multi-instance state in Redis, read for /metrics and the dashboard.

Key layout (DESIGN.md "Multi-instance"): presence `{prefix}:schedulers:presence:{id}`,
the leader lease `{prefix}:schedulers:leader` (JSON {"instance_id", "token"}), and per
instance `{prefix}:streams:{instance:ID}:inbox` / `:dlq`. Keys are found with SCAN (never
KEYS, which blocks Redis for the whole keyspace), capped at MAX_KEYS.
"""

from __future__ import annotations

import json

from django.conf import settings

from scheduler_project.redis_store.client import get_redis, key

MAX_KEYS = 1000
SCAN_COUNT = 500


def instances() -> list[dict]:
    """The live instances: one per presence key, its id taken from the key, with what its
    record (JSON, written by instances_app.presence) says: roles, version, started_at."""
    client = get_redis()
    head = key("schedulers", "presence", "")
    names = sorted(client.scan_iter(match=f"{head}*", count=SCAN_COUNT))[:MAX_KEYS]
    pipe = client.pipeline(transaction=False)  # not MGET: in a cluster the keys live in different slots
    for name in names:
        pipe.get(name)
    records = pipe.execute() if names else []
    leader_id = leader()
    found = []
    for name, raw in zip(names, records):
        try:
            record = json.loads(raw) if raw else {}
        except ValueError:
            record = {}
        record = record if isinstance(record, dict) else {}
        instance_id = name[len(head):]
        roles = record.get("roles") or []
        found.append({
            "instance_id": instance_id,
            "roles": [str(r) for r in roles] if isinstance(roles, list) else [r for r in str(roles).split(",") if r],
            "leader": instance_id == leader_id,
            "version": str(record.get("version") or ""),
            "started_at": str(record.get("started_at") or ""),
            "inbox_pending": record.get("inbox_pending"),
        })
    return found


def leader() -> str | None:
    raw = get_redis().get(key("schedulers", "leader"))
    if not raw:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        return str(raw)  # a bare instance id
    if isinstance(value, dict):
        return str(value.get("instance_id") or "") or None
    return str(value)


def _streams(kind: str) -> dict[str, str]:
    """{instance_id: stream key} for the `inbox` or `dlq` streams present in Redis."""
    client, found = get_redis(), {}
    head = key("streams", "{instance:")
    for name in client.scan_iter(match=f"{key('streams', '*')}:{kind}", count=SCAN_COUNT):
        if name.startswith(head) and name.endswith(f"}}:{kind}"):
            found[name[len(head):-len(f"}}:{kind}")]] = name
        if len(found) >= MAX_KEYS:
            break
    return found


def dlq_depths() -> dict[str, int]:
    client = get_redis()
    return {instance: int(client.xlen(name)) for instance, name in sorted(_streams("dlq").items())}


def inbox_pending() -> dict[str, int]:
    """Entries delivered to the consumer group and not yet acknowledged, per inbox."""
    client, group = get_redis(), settings.TP.scheduler.phase2.stream_group
    pending = {}
    for instance, name in sorted(_streams("inbox").items()):
        try:
            pending[instance] = int(client.xpending(name, group)["pending"])
        except Exception as exc:  # noqa: BLE001  NOGROUP: nobody has read this inbox yet
            if "NOGROUP" not in str(exc):
                raise
            pending[instance] = 0
    return pending
