"""The worker registry's domain logic, used by the control role, the API, admin and CLI."""

from . import rejections
from .draining import UnknownWorker, drain, find, resume
from .health import evaluate_health, mark_routing
from .liveness import InvalidHeartbeat, apply_heartbeats, detect_lost_workers, reconcile_running, resend_lost_messages
from .snapshots import flush as flush_snapshots
from .snapshots import receive as receive_heartbeat
from .snapshots import store as store_snapshot

__all__ = [
    "InvalidHeartbeat", "UnknownWorker", "apply_heartbeats", "detect_lost_workers", "drain", "evaluate_health", "find",
    "flush_snapshots", "mark_routing", "receive_heartbeat", "reconcile_running", "rejections", "resend_lost_messages",
    "resume", "store_snapshot",
]
