import django_filters

from notifications_app import events
from notifications_app.models import Channel, Notification, Rule
from scheduler_project.api.filters import BooleanFilter, IdFilter, TimeFilter


class ChannelFilter(django_filters.FilterSet):
    type = django_filters.ChoiceFilter(choices=Channel.Type.choices)
    enabled = BooleanFilter()

    class Meta:
        model = Channel
        fields = ["type", "enabled"]


class RuleFilter(django_filters.FilterSet):
    channel = IdFilter(field_name="channel_id", help_text="channel id")
    task = IdFilter(field_name="task_id", help_text="task id")
    enabled = BooleanFilter()

    class Meta:
        model = Rule
        fields = ["channel", "task", "enabled"]


class DeliveryFilter(django_filters.FilterSet):
    channel = IdFilter(field_name="channel_id", help_text="channel id")
    rule = IdFilter(field_name="rule_id", help_text="rule id")
    task = IdFilter(field_name="task_id", help_text="task id")
    run = IdFilter(field_name="run_id", help_text="run id")
    status = django_filters.MultipleChoiceFilter(choices=Notification.Status.choices, distinct=False,
                                                 help_text="repeat for several")
    event = django_filters.ChoiceFilter(choices=[(e, e) for e in (*events.RULE_EVENTS, events.TEST)])
    created_after = TimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = TimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Notification
        fields = ["channel", "rule", "task", "run", "status", "event"]
