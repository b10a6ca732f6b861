"""control.sweep is the engine's own maintenance; the worker registry's (heartbeats, lost workers,
stalls, unroutable runs) is control.sweep_workers, a beat entry of its own: the engine imports no
other app, and one broken sweep does not stop the other."""

from django.conf import settings

from tasks_app import tasks as engine_tasks
from workers_app import tasks as worker_tasks


def test_each_sweep_runs_its_own_steps(monkeypatch):
    ran = []
    for module, name in [(engine_tasks.dispatch, "republish_stale"), (engine_tasks.attempts, "dispatch_due_retries"),
                         (engine_tasks.firing, "fire_all_due"), (engine_tasks.cancelling, "repeat_cancels"),
                         (engine_tasks.dispatch, "release_stranded"),
                         (worker_tasks.services, "flush_snapshots"), (worker_tasks.services, "detect_lost_workers"),
                         (worker_tasks.services, "reconcile_running"), (worker_tasks.services, "resend_lost_messages"),
                         (worker_tasks.services, "evaluate_health"),
                         (worker_tasks.services, "mark_routing"), (worker_tasks.services.rejections, "prune")]:
        monkeypatch.setattr(module, name, lambda name=name: ran.append(name) or 0)
    assert set(engine_tasks.sweep()) == {"republished", "retries", "fired", "cancels", "released"}
    assert set(worker_tasks.sweep_workers()) == {"heartbeats", "lost_workers", "unreported_runs", "lost_messages",
                                                 "stalled_workers", "unroutable", "rejected_messages"}
    assert ran == ["republish_stale", "dispatch_due_retries", "fire_all_due", "repeat_cancels", "release_stranded",
                   "flush_snapshots", "detect_lost_workers", "reconcile_running", "resend_lost_messages",
                   "evaluate_health", "mark_routing", "prune"]


def test_a_broken_step_spoils_no_other(monkeypatch):
    monkeypatch.setattr(engine_tasks.dispatch, "republish_stale", lambda: 1 / 0)
    monkeypatch.setattr(engine_tasks.attempts, "dispatch_due_retries", lambda: 3)
    monkeypatch.setattr(engine_tasks.firing, "fire_all_due", lambda: 0)
    monkeypatch.setattr(engine_tasks.cancelling, "repeat_cancels", lambda: 0)
    assert engine_tasks.sweep() == {"retries": 3, "fired": 0, "cancels": 0}


def test_beat_runs_both():
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"control.sweep", "control.sweep_workers", "control.sweep_inboxes"} <= tasks
