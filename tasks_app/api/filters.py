import django_filters

from scheduler_project.api.filters import BooleanFilter, IdFilter, TimeFilter
from tasks_app import states
from tasks_app.models import Run, Task


class TaskFilter(django_filters.FilterSet):
    name = django_filters.CharFilter(lookup_expr="icontains")
    type = django_filters.ChoiceFilter(choices=Task.Type.choices)
    enabled = BooleanFilter()

    class Meta:
        model = Task
        fields = ["name", "type", "enabled"]


class RunFilter(django_filters.FilterSet):
    """Every filter narrows an index-ordered walk of (created_at, id); none needs a count."""

    task = IdFilter(field_name="task_id", help_text="task id")
    task_name = django_filters.CharFilter(field_name="task__name")
    status = django_filters.MultipleChoiceFilter(choices=[(s, s) for s in states.STATUSES], distinct=False,
                                                 help_text="repeat for several")
    trigger = django_filters.ChoiceFilter(choices=Run.Trigger.choices)
    worker = django_filters.CharFilter()
    created_after = TimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = TimeFilter(field_name="created_at", lookup_expr="lt")
    scheduled_after = TimeFilter(field_name="scheduled_for", lookup_expr="gte")
    scheduled_before = TimeFilter(field_name="scheduled_for", lookup_expr="lt")

    class Meta:
        model = Run
        fields = ["task", "task_name", "status", "trigger", "worker"]


class DeadRunFilter(django_filters.FilterSet):
    task = IdFilter(field_name="task_id", help_text="task id")
    created_after = TimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = TimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Run
        fields = ["task"]
