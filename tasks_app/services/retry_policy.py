"""Retry policy: how many attempts, and how long to wait before the next."""

import random

from django.conf import settings

from tasks_app import states


def max_retries(task) -> int:
    return task.max_retries if task.max_retries is not None else settings.TP.message_queue.max_retries


def retry_delay(task, failed_attempt: int, rng: random.Random | None = None) -> float:
    """Delay before attempt failed_attempt + 1: base * backoff^(n-1), capped, with ±25% jitter."""
    base = task.retry_delay_seconds
    if base is None:
        base = settings.TP.message_queue.retry_delay_seconds
    delay = min(base * task.retry_backoff ** (failed_attempt - 1), task.retry_delay_max_seconds)
    if task.retry_jitter and delay > 0:
        delay *= (rng or random).uniform(0.75, 1.25)
    return max(0.0, delay)


def outcome_status(task, attempt: int, outcome: str) -> str:
    """The run status an attempt's outcome leads to: the outcome itself, retrying, or dead."""
    if outcome not in states.RETRYABLE_OUTCOMES:
        return outcome
    retries = max_retries(task)
    if attempt <= retries:
        return states.RETRYING
    # With no retry policy the outcome is the final word; after retries, the run is dead-lettered.
    return outcome if retries == 0 else states.DEAD
