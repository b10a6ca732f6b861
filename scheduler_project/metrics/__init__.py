"""Platform metrics (README "Observability"): incr() / observe() from any process, exported by the api."""

from scheduler_project.metrics.counters import incr, observe

__all__ = ["incr", "observe"]
