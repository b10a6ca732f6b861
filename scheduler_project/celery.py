import gc
import os

from celery import Celery
from celery.signals import beat_init, celeryd_after_setup, celeryd_init, worker_before_create_process

from scheduler_project import redis_transport
from scheduler_project.config import load_config_or_exit

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scheduler_project.settings")
if os.environ.get("TASKPLANE_ROLE") == "worker":
    # The worker role installs a subset of the apps (settings.WORKER_APPS), which the project's
    # URL and admin checks cannot run on; `serve` ran every check, with all the apps, before it.
    os.environ.setdefault("CELERY_SKIP_CHECKS", "1")

redis_transport.register()  # before any connection: redis:// publishes through one client per channel
app = Celery("scheduler_project")


@app.on_configure.connect
def _refuse_bad_config(sender=None, **kwargs):
    # A bad config/*.toml or environment stops celery with the same message as manage.py.
    load_config_or_exit()


# Only the CELERY_* settings, under Celery's own names (celery_conf.py): everything in Celery's
# configuration is readable by anyone with broker credentials (`inspect conf`, `report`).
app.config_from_object("scheduler_project.celery_conf:CELERY")
app.autodiscover_tasks()


def _install_worker_parts():
    # Worker-process parts, registered before any worker builds its consumer: the heartbeat and
    # the start claims' answer queue (both active only on nodes consuming execution queues), the
    # instance loop (presence and inbox, active only on control workers) and the taskplane_cancel
    # and taskplane_verdict commands.
    from instances_app.bootstep import InstanceLoop
    from scheduler_project.health_server import WorkerHealth
    from workers_app import control_commands  # noqa: F401
    from workers_app.claim_answers import ClaimAnswers
    from workers_app.heartbeat import Heartbeat

    app.steps["consumer"].add(Heartbeat)
    app.steps["consumer"].add(ClaimAnswers)
    app.steps["consumer"].add(InstanceLoop)
    app.steps["worker"].add(WorkerHealth)


_install_worker_parts()


@beat_init.connect
def _beat_health(sender=None, **kwargs):
    # The dispatcher's /health (off unless [observability] health_port is set).
    from scheduler_project.health_server import start_for_beat

    start_for_beat(sender)


def _json_logs() -> bool:
    from django.conf import settings

    return settings.TP.observability.log_format == "json"


@celeryd_init.connect
def _worker_notes_as_log_lines(**kwargs):
    # LOG_FORMAT=json: the worker's shutdown notes are lines like every other (logging_config).
    if _json_logs():
        import celery.apps.worker

        from scheduler_project.logging_config import say_as_log_line

        celery.apps.worker.safe_say = say_as_log_line


@celeryd_after_setup.connect
def _banner_as_log_line(sender=None, instance=None, **kwargs):
    # LOG_FORMAT=json starts Celery with --quiet (roles.celery): the banner's facts, as one line.
    if not _json_logs():
        return
    import logging

    queues = sorted(getattr(app.amqp.queues, "consume_from", None) or app.amqp.queues)
    logging.getLogger("celery.apps.worker").info(
        "celery worker %s starting", sender,
        extra={"hostname": sender, "queues": queues, "concurrency": getattr(instance, "concurrency", None),
               "pool": getattr(getattr(instance, "pool_cls", None), "__name__", None)},
    )


@worker_before_create_process.connect
def _freeze_before_fork(**kwargs):
    # Just before the prefork pool forks a child: what exists now is left out of the child's
    # garbage collections, so its collector never writes to (and so copies) the pages it shares
    # with the main process. Measured by bench/b7_memory.py (PSS per child).
    gc.freeze()
