from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from instances_app.api.serializers import InstanceSerializer
from instances_app.presence import live_instances
from scheduler_project.api.permissions import SYSTEM_READ
from scheduler_project.api.viewsets import BaseViewSet


class InstanceViewSet(BaseViewSet):
    """Live control-plane instances (their presence keys in Redis)."""

    required_roles = {"list": SYSTEM_READ}
    audit_type = "instance"
    serializer_class = InstanceSerializer
    pagination_class = None
    filter_backends = []

    @extend_schema(responses=InstanceSerializer(many=True))
    def list(self, request):
        return Response(InstanceSerializer(live_instances(), many=True).data)
