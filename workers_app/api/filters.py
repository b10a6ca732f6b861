import django_filters

from workers_app.models import Worker


class WorkerFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=Worker.Status.choices, distinct=False, help_text="repeat for several")
    host = django_filters.CharFilter()

    class Meta:
        model = Worker
        fields = ["status", "host"]
