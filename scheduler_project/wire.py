"""The names on the wire between the roles: the Celery task names each role sends and the other
consumes. The control plane and the worker nodes share no code path but these strings, so they
are written once, here. (Renaming one breaks every node of an older version: don't.)"""

# control -> worker nodes (execution queues): run one attempt of a run.
EXECUTE = "workers.execute"
# worker nodes -> control (status queue): `started`, `output` and `finished` of an attempt.
RUN_EVENT = "control.run_event"
# worker nodes -> control (heartbeat queue): the node's snapshot.
HEARTBEAT = "control.heartbeat"
# the diagnostic round trip: anyone -> worker (workers.ping) -> control (control.pong).
PING = "workers.ping"
PONG = "control.pong"
# anyone that concludes a run (control, api) -> control (notification queue): deliver these
# notifications (ids of notifications_app outbox rows, already committed).
NOTIFY = "notifications.deliver"
# beat -> control: run-level SLAs (late, stale, long_running), due retries, abandoned claims.
SWEEP_NOTIFICATIONS = "control.sweep_notifications"
# any role's consumer -> control (control queue): a message it refused, for the dead-letter record
# (scheduler_project/broker_guard.py; workers_app keeps it as a RejectedMessage).
REJECTED = "control.message_rejected"
