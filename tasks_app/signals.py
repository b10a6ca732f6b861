from django.db.models.signals import post_save, pre_delete, pre_save
from django.dispatch import receiver
from django_celery_beat.models import PeriodicTask

from tasks_app.models import Task
from tasks_app.services import beat_sync


@receiver(pre_save, sender=Task)
def _remember_schedule_state(sender, instance: Task, **kwargs):
    previous = Task.objects.filter(pk=instance.pk).values("schedule", "enabled").first() if instance.pk else None
    instance._schedule_changed = previous is None or previous["schedule"] != instance.schedule or (
        instance.enabled and not previous["enabled"]
    )


@receiver(post_save, sender=Task)
def _task_saved(sender, instance: Task, **kwargs):
    beat_sync.on_task_saved(instance, getattr(instance, "_schedule_changed", True))


@receiver(pre_delete, sender=Task)
def _task_deleting(sender, instance: Task, **kwargs):
    beat_sync.on_task_deleted(instance)


@receiver(post_save, sender=PeriodicTask)
def _beat_row_saved(sender, instance: PeriodicTask, **kwargs):
    beat_sync.sync_from_beat(instance)
