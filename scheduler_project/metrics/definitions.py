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
FAST_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1)


@dataclass(frozen=True)
class Metric:
    name: str
    kind: str  # "counter" | "histogram"
    help: str
    labels: tuple[str, ...] = ()
    buckets: tuple[float, ...] = ()


METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        # The engine (counted in tasks_app.services.events.conclude_attempt, once per attempt).
        Metric("tasks_executed_total", "counter",
               "Attempts concluded, by task type and outcome (cancelled when a cancel outranked it)",
               ("task_type", "status")),
        Metric("scheduler_task_failures_total", "counter",
               "Failed attempts (failed, timed_out, lost), by the run status they led to: "
               "failed, timed_out, lost, retrying or dead",
               ("task_type", "status")),
        Metric("task_execution_duration_seconds", "histogram",
               "Attempt duration on the worker, from its started to its finished event",
               ("task_type",), DURATION_BUCKETS),
        # Multi-instance (instances_app counts these; the names are the second guide's).
        Metric("scheduler_phase2_redis_op_total", "counter", "Multi-instance Redis operations by result",
               ("op", "result")),
        Metric("scheduler_phase2_dlq_moved_total", "counter", "Inbox entries moved to a dead-letter stream",
               ("instance_id",)),
        Metric("scheduler_phase2_presence_heartbeat_total", "counter", "Presence refreshes written",
               ("instance_id",)),
        Metric("scheduler_redis_op_duration_seconds", "histogram", "Multi-instance Redis operation latency",
               ("op",), FAST_BUCKETS),
        Metric("scheduler_node_selection_duration_seconds", "histogram",
               "Time to choose the queue/worker for a run", (), FAST_BUCKETS),
        # The broker's gate (scheduler_project/broker_guard.py), counted where the control role records
        # each refusal (workers_app.services.rejections).
        Metric("taskplane_rejected_messages_total", "counter",
               "Broker messages a role refused (content_type, malformed, unknown_task, wrong_role, "
               "invalid_payload), each kept as a dead letter in /api/v1/rejected-messages/", ("reason",)),
        # Notifications (notifications_app.delivery, once per delivery attempt).
        Metric("taskplane_notification_deliveries_total", "counter",
               "Notification delivery attempts by channel type and result: delivered, retrying, failed (given up)",
               ("channel_type", "result")),
        Metric("taskplane_notification_latency_seconds", "histogram",
               "From the event (a run's conclusion, an SLA breach) to the notification's delivery",
               ("channel_type",), (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600)),
    )
}
