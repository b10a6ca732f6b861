"""Taskplane control plane: the infrastructure package (settings, configuration, the Celery app,
the process runtime, the shared API base and plumbing). It imports no app; the version lives
in scheduler_project.version.

The Celery app is created when Django starts (SchedulerProjectConfig.ready) or when celery
loads `-A scheduler_project`, so @shared_task binds to it; not on importing this package,
because gunicorn's master imports it only for gunicorn_conf and needs none of the app's
imports (about 18 MB less in the api role's master: bench/b7_memory.py).
"""


def __getattr__(name):
    if name == "celery_app":
        from .celery import app

        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ("celery_app",)
