from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.response import Response

from notifications_app import services
from notifications_app.api.filters import ChannelFilter, DeliveryFilter, RuleFilter
from notifications_app.api.serializers import (
    ChannelSerializer,
    DeliveryDetailSerializer,
    DeliverySerializer,
    RuleSerializer,
)
from notifications_app.models import Channel, Notification, Rule
from scheduler_project.api.pagination import CreatedAtKeysetPagination, StandardPagination
from scheduler_project.api.permissions import ADMIN, TASK_READ, TASK_WRITE
from scheduler_project.api.viewsets import BaseModelViewSet, BaseReadOnlyModelViewSet


class ChannelViewSet(BaseModelViewSet):
    """Where notifications go: webhooks (json, slack or teams bodies, optionally signed) and e-mail.
    Admin manages channels; TaskRead reads them (never their secret); TaskWrite may test one."""

    queryset = Channel.objects.all()
    serializer_class = ChannelSerializer
    filterset_class = ChannelFilter
    pagination_class = StandardPagination
    lookup_value_regex = r"[0-9]+"
    audit_type = "notification_channel"
    required_roles = {
        "list": TASK_READ, "retrieve": TASK_READ,
        "create": ADMIN, "update": ADMIN, "partial_update": ADMIN, "destroy": ADMIN, "test": TASK_WRITE,
    }

    @extend_schema(request=None, responses=DeliveryDetailSerializer,
                   summary="Send a test message now; answers with its delivery (status, response code, error)")
    @action(detail=True, methods=["post"])
    def test(self, request, pk=None):
        notification = services.send_test(self.get_object(), by=self.principal.name)
        return Response(DeliveryDetailSerializer(notification).data)


class RuleViewSet(BaseModelViewSet):
    """Which events of which tasks go to which channel. TaskWrite manages rules; TaskRead reads."""

    queryset = Rule.objects.all()
    serializer_class = RuleSerializer
    filterset_class = RuleFilter
    pagination_class = StandardPagination
    lookup_value_regex = r"[0-9]+"
    audit_type = "notification_rule"
    required_roles = {
        "list": TASK_READ, "retrieve": TASK_READ,
        "create": TASK_WRITE, "update": TASK_WRITE, "partial_update": TASK_WRITE, "destroy": TASK_WRITE,
    }


class DeliveryViewSet(BaseReadOnlyModelViewSet):
    """The notifications written and their delivery, newest first: status, attempts, the last
    response code and error; a delivery's detail has the body and every attempt."""

    queryset = Notification.objects.all()
    filterset_class = DeliveryFilter
    pagination_class = CreatedAtKeysetPagination
    lookup_value_regex = r"[0-9]+"
    audit_type = "notification_delivery"
    required_roles = {"list": TASK_READ, "retrieve": TASK_READ}

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "list":
            return queryset.defer("payload")
        return queryset.prefetch_related("delivery_attempts")

    def get_serializer_class(self):
        return DeliverySerializer if self.action == "list" else DeliveryDetailSerializer

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if self.action == "list":
            context["channel_names"] = dict(Channel.objects.values_list("pk", "name"))
        return context
