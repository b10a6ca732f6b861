"""The names on the wire between the roles: the Celery task names each role sends and the other
consumes, and the fields of the one message that is no Celery task (a start claim's answer). The
control plane and the worker nodes share no code path but these strings, so they are written
once, here. (Renaming one breaks every node of an older version: don't.)"""

# control -> worker nodes (execution queues): run one attempt of a run.
EXECUTE = "workers.execute"
# worker nodes -> control (status queue): `started`, `output` and `finished` of an attempt.
RUN_EVENT = "control.run_event"
# control -> one worker node (its own queue, queues.answer_queue): the answer to a delivery's
# start claim, a plain JSON object of these fields (no Celery task message), taken by the node's
# main process (workers_app/claim_answers.py). A claim (`started` with `claim`) asks for it with
# `answer_to` = ANSWER_TO_QUEUE. A claim without it comes from a node of an older version, which
# is answered as before: the remote-control command `taskplane_verdict`, broadcast.
ANSWER_TO_QUEUE = "queue"
ANSWER_FIELDS = ("execution_id", "claim", "verdict", "reason")
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
