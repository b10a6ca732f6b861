"""The system endpoints, outside /api/v1/ as the seed has them:

GET  /api/system/info             SystemRead   version, instance, environment, uptime, components
GET  /api/system/health/detailed  SystemRead   each dependency with status and latency; 503 if a required one fails;
                                               each read replica with its lag and whether reads go to it
POST /api/system/reload-config    Admin        re-read the configuration, apply what can change live
(GET /health, the dependency-free liveness probe, is scheduler_project.views.health.)
"""

from __future__ import annotations

import concurrent.futures
import os
import time
from datetime import datetime, timezone

import psutil
from django.conf import settings
from django.db import connection
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from scheduler_project.api import live, startup
from scheduler_project.api.permissions import ADMIN, SYSTEM_READ
from scheduler_project.api.schema import error_response
from scheduler_project.api.viewsets import BaseAPIView
from scheduler_project.config import ConfigError
from scheduler_project.db import replicas

CHECK_TIMEOUT_SECONDS = 2.0
_STARTED = datetime.fromtimestamp(psutil.Process().create_time(), tz=timezone.utc)


class ComponentsSerializer(serializers.Serializer):
    database = serializers.CharField(help_text="sqlite or postgresql")
    broker = serializers.CharField(help_text="redis_stream or rabbitmq")
    redis = serializers.CharField(help_text="single or cluster")


class InfoSerializer(serializers.Serializer):
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
            "uptime_seconds": round((datetime.now(timezone.utc) - _STARTED).total_seconds(), 3),
            "components": {
                "database": connection.vendor,
                "broker": tp.message_queue.type,
                "redis": tp.scheduler.phase2.redis.mode,
            },
            "auth_disabled": not tp.api.auth.enabled,
            "warnings": startup.warnings(),
        })


class CheckSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["ok", "warning", "failed"])
    required = serializers.BooleanField(help_text="a failed required check makes the answer 503")
    latency_ms = serializers.FloatField(allow_null=True)
    detail = serializers.CharField(allow_blank=True)


class ReplicaSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="its key in [database.read_replicas]")
    fit = serializers.BooleanField(help_text="read-only requests read from it (reachable, a standby, lag within bound)")
    lag_seconds = serializers.FloatField(allow_null=True, help_text="how long ago the primary was where it is now")
    bytes_behind = serializers.IntegerField(allow_null=True, help_text="WAL the primary has and it has not replayed")
    max_lag_seconds = serializers.FloatField(help_text="[database] replica_max_lag_seconds")
    in_recovery = serializers.BooleanField(allow_null=True)
    error = serializers.CharField(allow_blank=True, help_text="why it is skipped")
    checked_at = serializers.DateTimeField(allow_null=True, help_text="by this API process, every few seconds")


class HealthSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["ok", "degraded", "unavailable"])
    checked_at = serializers.DateTimeField()
    checks = serializers.DictField(child=CheckSerializer())
    replicas = ReplicaSerializer(many=True, help_text="[database.read_replicas]; empty when none is configured")


def _check_database():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return "ok", connection.vendor
    finally:
        connection.close()  # this thread's connection: back to the pool, or closed


def _check_broker():
    from celery import current_app

    with current_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=CHECK_TIMEOUT_SECONDS)
        return "ok", settings.TP.message_queue.type


def _check_redis():
    from instances_app.redis_client import get_redis

    get_redis().ping()
    return "ok", settings.TP.scheduler.phase2.redis.mode


def _check_workers():
    from workers_app.models import Worker

    try:
        online = Worker.objects.filter(status__in=Worker.LIVE_STATUSES).count()
        total = Worker.objects.count()
    finally:
        connection.close()
    return ("ok" if online else "warning"), f"{online} of {total} online"


def _check_instances():
    from instances_app.api.presence import live_instances

    found = live_instances()
    return ("ok" if found else "warning"), f"{len(found)} live"


CHECKS = {  # name: (function, required)
    "database": (_check_database, True),
    "broker": (_check_broker, True),
    "redis": (_check_redis, True),
    "workers": (_check_workers, False),
    "instances": (_check_instances, False),
}


def _timed(fn):
    started = time.perf_counter()
    status, detail = fn()
    return status, detail, (time.perf_counter() - started) * 1000


def run_checks() -> dict:
    """Every check at once in its own thread, each bounded by CHECK_TIMEOUT_SECONDS: a hung
    dependency costs the caller that long, not forever."""
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=len(CHECKS), thread_name_prefix="health")
    try:
        futures = {name: pool.submit(_timed, fn) for name, (fn, _) in CHECKS.items()}
        deadline = time.monotonic() + CHECK_TIMEOUT_SECONDS
        results = {}
        for name, future in futures.items():
            required = CHECKS[name][1]
            try:
                status, detail, latency = future.result(timeout=max(0.0, deadline - time.monotonic()))
                results[name] = {"status": status, "required": required, "latency_ms": round(latency, 2),
                                 "detail": str(detail)}
            except concurrent.futures.TimeoutError:
                results[name] = {"status": "failed", "required": required, "latency_ms": None,
                                 "detail": f"no answer within {CHECK_TIMEOUT_SECONDS:g} s"}
            except Exception as exc:  # noqa: BLE001  the check's own failure is the answer
                results[name] = {"status": "failed", "required": required, "latency_ms": None,
                                 "detail": f"{type(exc).__name__}: {exc}"[:300]}
        return results
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


class HealthDetailedView(BaseAPIView):
    required_roles = {"get": SYSTEM_READ}
    audit_type = "system"

    @extend_schema(
        responses={200: HealthSerializer, 503: HealthSerializer},
        summary="Each dependency with status and latency; 503 when the database, broker or Redis fails",
    )
    def get(self, request):
        checks = run_checks()
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
        body = {"status": status, "checked_at": datetime.now(timezone.utc), "checks": checks, "replicas": replica_rows}
        return Response(body, status=503 if required_failed else 200)


class ProvisionSerializer(serializers.Serializer):
    created = serializers.ListField(child=serializers.CharField())
    updated = serializers.ListField(child=serializers.CharField())
    revoked = serializers.ListField(child=serializers.CharField())
    reactivated = serializers.ListField(child=serializers.CharField())
    kept_revoked = serializers.ListField(child=serializers.CharField())


class ReloadSerializer(serializers.Serializer):
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
            report = live.reload_config()
        except ConfigError as exc:
            fields = {}
            for problem in exc.problems:
                fields.setdefault(problem.path, []).append(problem.message)
            from rest_framework.exceptions import ValidationError

            raise ValidationError(fields) from None
        return Response(report)


