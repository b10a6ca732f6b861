from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.response import Response

from scheduler_project.api.pagination import StandardPagination
from scheduler_project.api.permissions import ADMIN, WORKER_READ, WORKER_WRITE
from scheduler_project.api.viewsets import BaseReadOnlyModelViewSet
from workers_app import services
from workers_app.api.filters import RejectedMessageFilter, WorkerFilter
from workers_app.api.serializers import DrainSerializer, RejectedMessageSerializer, WorkerSerializer
from workers_app.models import RejectedMessage, Worker


class WorkerViewSet(BaseReadOnlyModelViewSet):
    """Worker nodes by worker id; drain before a deploy, resume after."""

    queryset = Worker.objects.all()
    serializer_class = WorkerSerializer
    filterset_class = WorkerFilter
    pagination_class = StandardPagination
    lookup_field = "worker_id"
    lookup_value_regex = r"[A-Za-z0-9_.@:-]{1,200}"  # worker ids: config names or host names
    audit_type = "worker"
    required_roles = {"list": WORKER_READ, "retrieve": WORKER_READ, "drain": WORKER_WRITE, "resume": WORKER_WRITE}

    @extend_schema(request=DrainSerializer, responses=WorkerSerializer,
                   summary="Take no new work; running work should end by the deadline")
    @action(detail=True, methods=["post"])
    def drain(self, request, worker_id=None):
        body = self.action_body(DrainSerializer)
        worker = services.drain(worker_id, by=self.principal.name,
                                deadline_seconds=body.get("deadline_seconds"))
        return Response(WorkerSerializer(worker).data)

    @extend_schema(request=None, responses=WorkerSerializer, summary="Take work again")
    @action(detail=True, methods=["post"])
    def resume(self, request, worker_id=None):
        return Response(WorkerSerializer(services.resume(worker_id, by=self.principal.name)).data)


class RejectedMessageViewSet(BaseReadOnlyModelViewSet):
    """Broker messages a role refused (the wrong role's task, an unknown task, pickle or YAML, a
    body of the wrong shape, an invalid heartbeat), newest first, with the reason: read-only, Admin."""

    queryset = RejectedMessage.objects.all()
    serializer_class = RejectedMessageSerializer
    filterset_class = RejectedMessageFilter
    pagination_class = StandardPagination
    lookup_value_regex = r"[0-9]{1,18}"
    audit_type = "rejected_message"
    required_roles = {"list": ADMIN, "retrieve": ADMIN}
