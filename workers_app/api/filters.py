import django_filters

from workers_app.models import RejectedMessage, Worker


class WorkerFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=Worker.Status.choices, distinct=False, help_text="repeat for several")
    host = django_filters.CharFilter()

    class Meta:
        model = Worker
        fields = ["status", "host"]


class RejectedMessageFilter(django_filters.FilterSet):
    reason = django_filters.MultipleChoiceFilter(choices=RejectedMessage.Reason.choices, distinct=False,
                                                 help_text="repeat for several")
    queue = django_filters.CharFilter()
    task_name = django_filters.CharFilter()
    node = django_filters.CharFilter()

    class Meta:
        model = RejectedMessage
        fields = ["reason", "queue", "task_name", "node"]
