from celery import shared_task

from instances_app import diagnostics, sweeper
from scheduler_project import wire


@shared_task(name=wire.PONG, ignore_result=True)
def pong(token: str, worker_id: str, host: str) -> None:
    diagnostics.record_pong(token, worker_id, host)


@shared_task(name="control.sweep_inboxes", ignore_result=True)
def sweep_inboxes() -> dict:
    return sweeper.sweep_all()
