"""The system endpoints of the infrastructure, outside /api/v1/ as the seed has them:

GET  /api/system/info             SystemRead   version, instance, environment, uptime, components
POST /api/system/reload-config    Admin        re-read the configuration, apply what can change live
(GET /health, the dependency-free liveness probe, is scheduler_project.views.health;
GET /api/system/health/detailed, each dependency checked, is monitoring_app's.)
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

import psutil
from django.conf import settings
from django.db import connection
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from scheduler_project import live_config
from scheduler_project.api import startup
from scheduler_project.api.permissions import ADMIN, SYSTEM_READ
from scheduler_project.api.schema import error_response
from scheduler_project.api.serializers import Serializer
from scheduler_project.api.viewsets import BaseAPIView
from scheduler_project.config import ConfigError

_STARTED = datetime.fromtimestamp(psutil.Process().create_time(), tz=UTC)


class ComponentsSerializer(Serializer):
    database = serializers.CharField(help_text="sqlite or postgresql")
    broker = serializers.CharField(help_text="redis_stream or rabbitmq")
    redis = serializers.CharField(help_text="single or cluster")


class InfoSerializer(Serializer):
    version = serializers.CharField()
    instance_id = serializers.CharField()
    environment = serializers.CharField()
    pid = serializers.IntegerField(help_text="the API process that answered (one of the gunicorn workers)")
    started_at = serializers.DateTimeField(help_text="when this API process started")
    uptime_seconds = serializers.FloatField()
    components = ComponentsSerializer()
    auth_disabled = serializers.BooleanField()
    warnings = serializers.ListField(child=serializers.CharField())


class InfoView(BaseAPIView):
    required_roles = {"get": SYSTEM_READ}
    audit_type = "system"

    @extend_schema(responses=InfoSerializer, summary="Version, instance, environment, uptime and components")
    def get(self, request):
        tp = settings.TP
        return Response({
            "version": settings.VERSION,
            "instance_id": settings.INSTANCE_ID,
            "environment": settings.CONFIG.environment,
            "pid": os.getpid(),
            "started_at": _STARTED,
            "uptime_seconds": round((datetime.now(UTC) - _STARTED).total_seconds(), 3),
            "components": {
                "database": connection.vendor,
                "broker": tp.message_queue.type,
                "redis": tp.scheduler.phase2.redis.mode,
            },
            "auth_disabled": not tp.api.auth.enabled,
            "warnings": startup.warnings(),
        })


class ProvisionSerializer(Serializer):
    created = serializers.ListField(child=serializers.CharField())
    updated = serializers.ListField(child=serializers.CharField())
    revoked = serializers.ListField(child=serializers.CharField())
    reactivated = serializers.ListField(child=serializers.CharField())
    kept_revoked = serializers.ListField(child=serializers.CharField())


class ReloadSerializer(Serializer):
    files = serializers.ListField(child=serializers.CharField())
    applied = serializers.ListField(child=serializers.CharField(), help_text="changed keys now in force")
    restart_required = serializers.ListField(
        child=serializers.CharField(), help_text="changed keys that take effect at the next restart"
    )
    live_keys = serializers.ListField(child=serializers.CharField(), help_text="every key that can change live")
    api_keys = ProvisionSerializer(help_text="configured API keys, by name")
    propagated = serializers.BooleanField(help_text="whether the instance's other api processes were told")


class ReloadConfigView(BaseAPIView):
    required_roles = {"post": ADMIN}
    audit_type = "system"

    def audit_action(self) -> str:
        return "system.reload_config"

    @extend_schema(request=None, responses={200: ReloadSerializer, 400: error_response(400)},
                   summary="Re-read the configuration; apply the keys that can change live")
    def post(self, request):
        try:
            report = live_config.reload_config()
        except ConfigError as exc:
            fields = {}
            for problem in exc.problems:
                fields.setdefault(problem.path, []).append(problem.message)
            from rest_framework.exceptions import ValidationError

            raise ValidationError(fields) from None
        return Response(report)


