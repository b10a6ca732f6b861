"""Every platform metric that lives in Redis: its kind, help, labels and buckets.

Counters and histograms counted by any process (control threads, Celery pool children,
gunicorn workers, on any host) are written to Redis and exported by the api at scrape
time (collector.py), so a count appears once, whatever process made it. Names are those
of the deployment guides we replace (README "Observability").
"""

from __future__ import annotations

from dataclasses import dataclass

# Task executions last from milliseconds to hours; the client library's default buckets
# (5 ms .. 10 s) would put most of them in +Inf.
DURATION_BUCKETS = (0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)
# A fire normally starts within tens of milliseconds to a second; a burst of thousands due in
# one minute takes seconds; a fire run late by the misfire policy takes minutes or hours.
FIRE_LAG_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600)
# 1: applied alone (a quiet queue); more: events that arrived while earlier batches were applied.
STATUS_BATCH_BUCKETS = (1, 2, 5, 10, 20, 50, 100)
FAST_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1)


@dataclass(frozen=True)
class Metric:
    name: str
    kind: str  # "counter" | "histogram"
    help: str
    labels: tuple[str, ...] = ()
    buckets: tuple[float, ...] = ()
    # The values each label is known to take, (label, values) pairs: the api exports 0 for every
    # combination not counted yet, so a series exists before its first increment and rate() and
    # increase() see that increment too (a series born at 1 reads as no change). A label not listed
    # here takes the values the scrape knows at that moment (instance_id: the live instances).
    zero: tuple[tuple[str, tuple[str, ...]], ...] = ()


TASK_TYPES = ("shell", "http")
ATTEMPT_STATUSES = ("succeeded", "failed", "timed_out", "cancelled", "lost")
FAILURE_STATUSES = ("failed", "timed_out", "lost", "retrying", "dead")
CHANNEL_TYPES = ("webhook", "email")
REJECTION_REASONS = ("content_type", "malformed", "unknown_task", "wrong_role", "invalid_payload")
# Every operation name the platform passes to redis_store.accounting (redis_op, redis_pipeline).
REDIS_OPS = ("delete", "eval", "exists", "expire", "get", "hdel", "hget", "hgetall", "hlen", "hmget", "hset", "incr",
             "sadd", "scan", "set", "smembers", "srem", "xack", "xadd", "xautoclaim", "xdel", "xgroup_create",
             "xinfo_stream", "xlen", "xpending", "xpending_range", "xrange", "xread", "xreadgroup", "xrevrange")


METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        # The engine (counted in tasks_app.services.events.conclude_attempt, once per attempt).
        Metric("tasks_executed_total", "counter",
               "Attempts concluded, by task type and outcome (cancelled when a cancel outranked it)",
               ("task_type", "status"), zero=(("task_type", TASK_TYPES), ("status", ATTEMPT_STATUSES))),
        Metric("scheduler_task_failures_total", "counter",
               "Failed attempts (failed, timed_out, lost), by the run status they led to: "
               "failed, timed_out, lost, retrying or dead",
               ("task_type", "status"), zero=(("task_type", TASK_TYPES), ("status", FAILURE_STATUSES))),
        Metric("task_execution_duration_seconds", "histogram",
               "Attempt duration on the worker, from its started to its finished event",
               ("task_type",), DURATION_BUCKETS, zero=(("task_type", TASK_TYPES),)),
        # Fire precision (tasks_app.services.events.apply_started, once per scheduled run, when
        # its first attempt's start is applied): from the fire time to the worker's start.
        Metric("taskplane_fire_lag_seconds", "histogram",
               "From a scheduled run's fire time (scheduled_for) to its first attempt's start on the worker",
               (), FIRE_LAG_BUCKETS),
        # The control role's status batches (tasks_app.services.events.apply_batch, once per batch, with
        # the batch's other figures).
        Metric("taskplane_status_batch_size", "histogram",
               "Status events (started, finished, output) the control role applied per batch, one transaction each",
               (), STATUS_BATCH_BUCKETS),
        # Multi-instance (instances_app counts these; the names are the second guide's).
        Metric("scheduler_phase2_redis_op_total", "counter",
               "Multi-instance Redis operations by result (err: a real error, not an answer the caller expects)",
               ("op", "result"), zero=(("op", REDIS_OPS), ("result", ("ok", "err")))),
        Metric("scheduler_phase2_dlq_moved_total", "counter", "Inbox entries moved to a dead-letter stream",
               ("instance_id",)),
        Metric("scheduler_phase2_presence_heartbeat_total", "counter", "Presence refreshes written",
               ("instance_id",)),
        Metric("scheduler_redis_op_duration_seconds", "histogram", "Multi-instance Redis operation latency",
               ("op",), FAST_BUCKETS, zero=(("op", REDIS_OPS),)),
        Metric("scheduler_node_selection_duration_seconds", "histogram",
               "Time to choose the queue/worker for a run", (), FAST_BUCKETS),
        # The broker's gate (scheduler_project/broker_guard.py), counted where the control role records
        # each refusal (workers_app.services.rejections).
        Metric("taskplane_rejected_messages_total", "counter",
               "Broker messages a role refused (content_type, malformed, unknown_task, wrong_role, "
               "invalid_payload), each kept as a dead letter in /api/v1/rejected-messages/", ("reason",),
               zero=(("reason", REJECTION_REASONS),)),
        # Notifications (notifications_app.delivery, once per delivery attempt).
        Metric("taskplane_notification_deliveries_total", "counter",
               "Notification delivery attempts by channel type and result: delivered, retrying, failed (given up)",
               ("channel_type", "result"),
               zero=(("channel_type", CHANNEL_TYPES), ("result", ("delivered", "retrying", "failed")))),
        Metric("taskplane_notification_latency_seconds", "histogram",
               "From the event (a run's conclusion, an SLA breach) to the notification's delivery",
               ("channel_type",), (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600),
               zero=(("channel_type", CHANNEL_TYPES),)),
    )
}
