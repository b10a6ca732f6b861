"""Dead letters of the broker's gate (issue 15 item 5): every message a role refused, kept with
its reason, in the API (/api/v1/rejected-messages/), the admin and
`taskplane_rejected_messages_total{reason}`.

The refusing consumer logs the refusal once (WARNING) and reports it here over the broker
(`control.message_rejected`, scheduler_project/broker_guard.py); the control role's own checks
(a heartbeat it cannot take) call `refuse()` directly."""

from __future__ import annotations

import json
import logging
import time

from django.db import transaction
from django.utils import timezone

from scheduler_project.broker_guard import BODY_EXCERPT, HEADERS_EXCERPT
from scheduler_project.metrics import counters
from workers_app.models import RejectedMessage

log = logging.getLogger("taskplane.broker")

# Anyone with broker credentials can send refusals by the thousand: the record stays bounded,
# by age and by count (the newest kept), pruned by control.sweep_workers at most once a minute.
KEEP_DAYS = 30
KEEP_ROWS = 100_000
PRUNE_EVERY_SECONDS = 60.0
_pruned_at = 0.0

_TEXT = {"detail": 1000, "queue": 255, "exchange": 255, "task_name": 255, "message_id": 255, "content_type": 255,
         "headers": HEADERS_EXCERPT, "body": BODY_EXCERPT, "node": 255, "role": 20}


def _clean(report) -> dict:
    """Only what a RejectedMessage holds, of the right types and sizes: the report came over the
    broker and may be forged like any other message."""
    if not isinstance(report, dict):
        text = json.dumps(report, default=repr)  # (JSON escapes NUL)
        return {"reason": RejectedMessage.Reason.MALFORMED, "detail": "a rejection report that is not a record",
                "task_name": "control.message_rejected", "body": text[:BODY_EXCERPT], "body_size": len(text)}
    # (NUL is replaced: PostgreSQL's text holds none, and a pickle body is full of them.)
    fields = {name: str(report.get(name) or "")[:size].replace("\x00", "\ufffd") for name, size in _TEXT.items()}
    reason = report.get("reason")
    fields["reason"] = reason if reason in RejectedMessage.Reason.values else RejectedMessage.Reason.MALFORMED
    size = report.get("body_size")
    fields["body_size"] = size if isinstance(size, int) and not isinstance(size, bool) and 0 <= size < 2**31 else 0
    return fields


def record(report) -> RejectedMessage:
    """Keep one refusal (already logged by the consumer that refused it) and count it."""
    row = RejectedMessage.objects.create(**_clean(report))
    transaction.on_commit(lambda: counters.incr("taskplane_rejected_messages_total", {"reason": row.reason}))
    return row


def refuse(reason: str, detail: str, **fields) -> RejectedMessage:
    """A refusal decided in the control role itself: logged once, kept, counted."""
    log.warning("refused a broker message (%s): %s; queue=%r task=%r node=%s", reason, detail,
                fields.get("queue", ""), fields.get("task_name", ""), fields.get("node", ""),
                extra={"rejection": reason})
    return record({"reason": reason, "detail": detail, **fields})


def prune(force: bool = False) -> int:
    """Forget refusals older than KEEP_DAYS, and all but the newest KEEP_ROWS; returns how many."""
    global _pruned_at
    if not force and time.monotonic() - _pruned_at < PRUNE_EVERY_SECONDS:
        return 0
    _pruned_at = time.monotonic()
    removed, _ = RejectedMessage.objects.filter(received_at__lt=timezone.now() - timezone.timedelta(days=KEEP_DAYS)
                                                ).delete()
    oldest_kept = RejectedMessage.objects.order_by("-id").values_list("id", flat=True)[KEEP_ROWS - 1:KEEP_ROWS].first()
    if oldest_kept is not None:
        removed += RejectedMessage.objects.filter(id__lt=oldest_kept).delete()[0]
    return removed
