"""B6's baseline: bare Django views that run the same queries as the API's list, create and
trigger, with none of the platform around them (no DRF, authentication, roles, throttling,
serializers or audit). Mounted only inside the benchmark, as a urlconf of its own that
includes the real one, so both sides are served by the same process and database connection.
"""

from __future__ import annotations

import base64
import json

from django.core.serializers.json import DjangoJSONEncoder
from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from tasks_app.api.serializers import RUN_FIELDS
from tasks_app.api.views.runs import OUTPUT_FIELDS
from tasks_app.models import Run, Task
from tasks_app.services import definitions

PAGE = 50
# Foreign keys go out as ids, as the API shows them; task_name is the joined task's name.
RUN_ATTRS = {name: {"task": "task_id", "replay_of": "replay_of_id"}.get(name, name) for name in RUN_FIELDS
             if name != "task_name"}
TASK_FIELDS = ("id", "name", "description", "type", "spec", "schedule", "params", "enabled", "timeout_seconds",
               "queue", "tags", "overlap_policy", "created_at", "updated_at")


def _json(data, status=200) -> JsonResponse:
    return JsonResponse(data, status=status, encoder=DjangoJSONEncoder, safe=False)


def _run(run: Run) -> dict:
    data = {name: getattr(run, attr) for name, attr in RUN_ATTRS.items()}
    data["task_name"] = run.task.name
    return data


@require_GET
def runs(request):
    # The API's query: newest first on (created_at, id), one more than a page to know if there is a next.
    rows = list(Run.objects.filter(task_id=int(request.GET["task"])).select_related("task").defer(*OUTPUT_FIELDS)
                .order_by("-created_at", "-id")[: PAGE + 1])
    page = rows[:PAGE]
    cursor = None
    if len(rows) > PAGE:
        raw = json.dumps([page[-1].created_at.isoformat(), page[-1].pk, False]).encode()
        cursor = base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")
    return _json({"next": cursor, "previous": None, "results": [_run(r) for r in page]})


@csrf_exempt
@require_POST
def create_task(request):
    body = json.loads(request.body)
    task = Task.objects.create(name=body["name"], type=body["type"], spec=body["spec"], queue=body.get("queue", ""))
    return _json({name: getattr(task, name) for name in TASK_FIELDS}, status=201)


@csrf_exempt
@require_POST
def trigger(request, pk: int):
    task = get_object_or_404(Task, pk=pk)
    body = json.loads(request.body) if request.body else {}
    run = definitions.trigger(task, params=body.get("params"), by="bare", trigger=Run.Trigger.API)
    return _json(_run(run), status=201)


urlpatterns = [
    path("bare/runs/", runs),
    path("bare/tasks/", create_task),
    path("bare/tasks/<int:pk>/trigger/", trigger),
    path("", include("scheduler_project.urls")),
]
