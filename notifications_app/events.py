"""The events a rule may name, and which of them a run's conclusion is.

Run events (a run concluded; notifications_app.outbox):
  failed        the run ended failed, timed out, lost or dead: any failure
  timed_out     the run ended timed out (a failure too)
  dead          retries exhausted (a failure too)
  recovered     the first success after failures a rule had reported
  succeeded     every success (opt-in)
  cancelled     the run was cancelled
SLA events (the control role's sweep; notifications_app.sla):
  late          a scheduled fire has no successful run within the rule's late_after_seconds
  stale         the task's last success is older than the rule's stale_after_seconds
  long_running  a run has been running longer than the rule's max_duration_seconds
And `paused`: the task paused itself after the rule's pause_after consecutive failures.
"""

FAILED = "failed"
TIMED_OUT = "timed_out"
DEAD = "dead"
RECOVERED = "recovered"
SUCCEEDED = "succeeded"
CANCELLED = "cancelled"
LATE = "late"
STALE = "stale"
LONG_RUNNING = "long_running"
PAUSED = "paused"
TEST = "test"  # a channel's test message (POST .../channels/{id}/test/)

RUN_EVENTS = (FAILED, DEAD, RECOVERED, TIMED_OUT, CANCELLED, SUCCEEDED)
SLA_EVENTS = (LATE, STALE, LONG_RUNNING)
RULE_EVENTS = (*RUN_EVENTS, *SLA_EVENTS, PAUSED)
FAILURE_EVENTS = frozenset({FAILED, TIMED_OUT, DEAD})

# Run statuses (tasks_app.states) that are failures, and the events each one is.
FAILURE_STATUSES = {"failed": {FAILED}, "lost": {FAILED}, "timed_out": {FAILED, TIMED_OUT}, "dead": {FAILED, DEAD}}
# Most specific first: the event a notification is labelled with when a rule names several.
SPECIFICITY = (DEAD, TIMED_OUT, FAILED)


def failure_events(status: str) -> set[str]:
    return FAILURE_STATUSES.get(status, set())


def label(matching: set[str]) -> str:
    """The event a failure notification is labelled with: the most specific the rule asked for."""
    return next(event for event in SPECIFICITY if event in matching)
