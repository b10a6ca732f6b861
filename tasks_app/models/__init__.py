from .run import OutboxEntry, Run, RunAttempt
from .task import Task

__all__ = ["OutboxEntry", "Run", "RunAttempt", "Task"]
