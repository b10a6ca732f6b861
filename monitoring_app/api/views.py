"""Read-side API endpoints: GET /api/v1/stats and GET /api/system/health/detailed (each dependency
with status and latency, 503 if a required one fails; each read replica with its lag and whether
reads go to it)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.utils import timezone as dj_timezone
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from monitoring_app import health, readings
from monitoring_app.api.serializers import HealthSerializer, StatsSerializer
from scheduler_project.api.permissions import SYSTEM_READ
from scheduler_project.api.viewsets import BaseAPIView
from scheduler_project.db import replicas


class StatsView(BaseAPIView):
    required_roles = {"get": SYSTEM_READ}
    audit_type = "stats"

    @extend_schema(responses=StatsSerializer, summary="Runs by status (last hour, last 24 h), workers, tasks")
    def get(self, request):
        now = dj_timezone.now()
        return Response({
            "generated_at": now,
            "runs": {"last_hour": readings.runs_created_since(now - timedelta(hours=1)),
                     "last_24h": readings.runs_created_since(now - timedelta(days=1))},
            "workers": readings.workers_by_status(),
            "tasks": readings.task_counts(),
        })


class StatsAliasView(StatsView):
    """/api/v1/stats/ (with the slash), the same as /api/v1/stats."""

    @extend_schema(exclude=True)
    def get(self, request):
        return super().get(request)


class HealthDetailedView(BaseAPIView):
    required_roles = {"get": SYSTEM_READ}
    audit_type = "system"

    @extend_schema(
        responses={200: HealthSerializer, 503: HealthSerializer},
        summary="Each dependency with status and latency; 503 when the database, broker or Redis fails",
    )
    def get(self, request):
        checks = health.run_checks()
        replica_rows = replicas.status()
        if replica_rows:
            # Not required: with no fit replica, reads go to the primary.
            fit = sum(1 for r in replica_rows if r["fit"])
            checks["database_replicas"] = {
                "status": "ok" if fit == len(replica_rows) else "warning", "required": False, "latency_ms": None,
                "detail": f"{fit} of {len(replica_rows)} in use"}
        required_failed = any(c["required"] and c["status"] == "failed" for c in checks.values())
        degraded = any(c["status"] != "ok" for c in checks.values())
        status = "unavailable" if required_failed else ("degraded" if degraded else "ok")
        body = {"status": status, "checked_at": datetime.now(UTC), "checks": checks, "replicas": replica_rows}
        return Response(body, status=503 if required_failed else 200)
