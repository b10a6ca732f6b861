"""The command line of each process role (DESIGN.md "Processes"), built from the configuration.

`manage.py serve` runs these; the deployment files run the same commands directly.
"""

from __future__ import annotations

import sys

from scheduler_project.config import Config
from scheduler_project.queues import execution_queues

ROLES = ("api", "dispatcher", "control", "worker")
# The dispatcher's warning when no control role is alive (serve at start, beat's ControlWatch).
NO_CONTROL = ("no control role is running (no instance's presence lists one): this dispatcher's fires go to the "
              "control queue, but nothing turns them into runs. The old system's three processes (api, dispatcher, "
              "worker) need a fourth here: start `scheduler --mode control` (`manage.py serve --mode control`)")
CELERY = [sys.executable, "-m", "celery", "-A", "scheduler_project"]


def celery(config: Config) -> list[str]:
    """`celery -A scheduler_project`; with LOG_FORMAT=json also --quiet: the banners are plain text
    printed to stdout, so their facts are logged as one line instead (scheduler_project.celery)."""
    return [*CELERY, "--quiet"] if config.settings.observability.log_format == "json" else list(CELERY)


def control_queues(config: Config) -> list[str]:
    mq = config.settings.message_queue
    # The notification queue's messages only hand ids to the role's own delivery threads
    # (notifications_app.delivery): a webhook that hangs holds one of those, never a pool thread.
    return [mq.control_queue, mq.status_queue, mq.heartbeat_queue, mq.notification_queue]


def api_argv(config: Config) -> list[str]:
    api = config.settings.api
    argv = [
        sys.executable, "-m", "gunicorn", "scheduler_project.wsgi:application",
        "--bind", api.bind_address,
        "--workers", str(api.workers),
        # gthread: a slow client or a long request holds a thread, not a whole worker process.
        "--worker-class", "gthread",
        "--threads", str(api.threads),
        "--access-logfile", "-",
        "--graceful-timeout", "10",
        # The control socket defaults to one path per user: two instances on a host would share it.
        "--no-control-socket",
        # Hooks: prometheus_client multiprocess files (cleaned at start, dead workers marked).
        "--config", "python:scheduler_project.gunicorn_conf",
    ]
    if api.tls.enabled:
        argv += ["--certfile", api.tls.cert_file, "--keyfile", api.tls.key_file]
        if api.tls.ca_file:
            argv += ["--ca-certs", api.tls.ca_file]
    return argv


def dispatcher_argv(config: Config) -> list[str]:
    # --pidfile= : no pid file, so a killed beat never blocks its own restart.
    return [*celery(config), "beat", "--loglevel", "INFO", "--pidfile="]


CONTROL_PREFETCH_MULTIPLIER = 16


def control_argv(config: Config) -> list[str]:
    # Threads, not prefork: control work is database and broker I/O, and a thread pool never
    # forks a process that already holds a database connection pool.
    return [
        *celery(config), "worker",
        "--hostname", f"control@{config.instance_id}",
        "--queues", ",".join(control_queues(config)),
        "--pool", "threads",
        "--concurrency", "8",
        # Status reports are applied in batches (scheduler_project.group_commit), taken from the
        # messages this consumer holds unacknowledged: 8 x 16 lets a batch gather up to about a
        # hundred while earlier ones are applied. Each is acknowledged once its batch committed.
        "--prefetch-multiplier", str(CONTROL_PREFETCH_MULTIPLIER),
        "--loglevel", "INFO",
        "--without-gossip", "--without-mingle",
    ]


def worker_argv(config: Config) -> list[str]:
    w = config.settings.worker
    queues = execution_queues(config.settings.message_queue.task_queue, w.supported_task_types, w.tags)
    return [
        *celery(config), "worker",
        "--hostname", f"worker@{config.worker_id}",
        "--queues", ",".join(queues),
        "--concurrency", str(w.max_concurrent_tasks),
        "--prefetch-multiplier", str(config.settings.message_queue.prefetch_count),
        "--loglevel", "INFO",
        "--without-gossip", "--without-mingle",
    ]


ARGV = {"api": api_argv, "dispatcher": dispatcher_argv, "control": control_argv, "worker": worker_argv}


def role_argv(role: str, config: Config) -> list[str]:
    return ARGV[role](config)
