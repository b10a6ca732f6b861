from .dlq import DeadLetterViewSet
from .runs import RunViewSet
from .tasks import TaskViewSet

__all__ = ["DeadLetterViewSet", "RunViewSet", "TaskViewSet"]
