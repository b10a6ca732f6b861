"""Run statuses and the one table of allowed transitions (guarantee 3).

Every status change is a compare-and-set, Run.objects.filter(...).move(target):
UPDATE ... WHERE status IN sources_of(target).
An event that arrives twice, late or out of order finds the row no longer in a source
status and changes nothing.
"""

PENDING = "pending"      # created; its outbox entry not yet published (or held by overlap)
QUEUED = "queued"        # published to an execution queue
RUNNING = "running"      # a worker reported `started` for the current attempt
SUCCEEDED = "succeeded"
FAILED = "failed"
TIMED_OUT = "timed_out"
CANCELLED = "cancelled"
LOST = "lost"            # its worker went silent mid-run and no retry remains
RETRYING = "retrying"    # an attempt failed; the next one is due at next_attempt_at
SKIPPED = "skipped"      # never ran: overlap, misfire or a disabled task; reason in `error`
DEAD = "dead"            # every attempt failed: dead-lettered, replayable

STATUSES = (PENDING, QUEUED, RUNNING, SUCCEEDED, FAILED, TIMED_OUT, CANCELLED, LOST, RETRYING, SKIPPED, DEAD)
ACTIVE = frozenset({PENDING, QUEUED, RUNNING, RETRYING})
FINAL = frozenset(STATUSES) - ACTIVE
# Not on a worker (yet, or between attempts): a cancel takes effect at once.
NOT_ON_A_WORKER = frozenset({PENDING, QUEUED, RETRYING})
# Outcomes an attempt can end with on a worker.
ATTEMPT_OUTCOMES = frozenset({SUCCEEDED, FAILED, TIMED_OUT, CANCELLED, LOST})
RETRYABLE_OUTCOMES = frozenset({FAILED, TIMED_OUT, LOST})

# target -> statuses it may be reached from. `finished` may overtake `started` (out of
# order), so an attempt's outcome is reachable from pending and queued as well as running.
_EXECUTING = frozenset({PENDING, QUEUED, RUNNING})
TRANSITIONS: dict[str, frozenset[str]] = {
    QUEUED: frozenset({PENDING}),
    RUNNING: frozenset({PENDING, QUEUED}),
    SUCCEEDED: _EXECUTING,
    FAILED: _EXECUTING,
    TIMED_OUT: _EXECUTING,
    LOST: _EXECUTING,
    RETRYING: _EXECUTING,
    DEAD: _EXECUTING | {RETRYING},
    CANCELLED: _EXECUTING | {RETRYING},
    SKIPPED: frozenset({PENDING}),
    PENDING: frozenset({RETRYING}),  # the next attempt
}


# A late report (issue 14): an attempt concluded lost (its node silent, or no longer listing it)
# whose real `finished` arrives before a newer attempt started. The record takes what really
# happened: the outcome's status is reachable from where the lost conclusion left the run.
LATE_REPORT_SOURCES = frozenset({RETRYING, LOST, DEAD})


def sources_of(target: str, late_report: bool = False) -> frozenset[str]:
    return TRANSITIONS[target] | LATE_REPORT_SOURCES if late_report else TRANSITIONS[target]
