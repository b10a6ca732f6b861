"""/ui/deadletters/: dead runs and inbox dead letters in one list (source shown), each with its
reason and history; one verb each: Replay (a run with edited parameters) and Purge."""

from __future__ import annotations

import re

from django.contrib import messages
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from console_app import actions, queries
from console_app.access import ADMIN, TASK_READ, TASK_WRITE, console_view, record_refusal
from console_app.actions import Refused
from console_app.views.common import back, page, report_refusal, start_run
from instances_app.api.deadletters import LETTER_ID
from scheduler_project.durations import parse_cutoff
from tasks_app import states
from tasks_app.models import Run


@require_GET
@never_cache
@console_view(TASK_READ)
def deadletter_list(request):
    return page(request, "console/deadletters/list.html", queries.dead_letters())


def _dead_run(run_id: int) -> Run:
    run = Run.objects.select_related("task").filter(pk=run_id, status=states.DEAD).first()
    if run is None:
        raise Http404(f"no dead letter run-{run_id}")
    return run


@require_POST
@console_view(TASK_READ, write=TASK_WRITE, action="dead_letter.replay")
def replay_run(request, run_id: int):
    run = _dead_run(run_id)
    return start_run(request, run.params, lambda params: actions.replay_dead_run(request, run, params),
                     reverse("console:deadletters"), lambda new: f"Dead run #{run.pk} replayed as run #{new.pk}.")


@require_POST
@console_view(TASK_READ, write=TASK_WRITE, action="dead_letter.replay")
def replay_inbox(request, letter_id: str):
    match = LETTER_ID.match(letter_id)
    if not match:
        raise Http404(f"no dead letter {letter_id}")
    try:
        entry = actions.replay_inbox_letter(request, match["instance"], match["entry"])
    except Refused as exc:
        return report_refusal(request, exc, reverse("console:deadletters"))
    messages.success(request, f"{letter_id} is back in the inbox of {match['instance']} as {entry}.")
    return back(request, reverse("console:deadletters"))


@require_POST
@console_view(TASK_READ, write=ADMIN, action="dead_letter.purge")
def purge(request):
    """One letter (`letter`: run-<id> or inbox-<instance>-<entry>), or every dead run older than
    `older_than` (a duration or an ISO time), or an instance's whole inbox DLQ (`instance`)."""
    letter, older, instance = (request.POST.get(k, "").strip() for k in ("letter", "older_than", "instance"))
    try:
        if found := re.fullmatch(r"run-(\d{1,18})", letter):
            deleted = actions.purge_dead_runs(request, run_ids=[int(found[1])])
        elif found := LETTER_ID.match(letter):
            deleted = actions.purge_inbox_letters(request, found["instance"], [found["entry"]])
        elif older:
            try:
                cutoff = parse_cutoff(older, timezone.now())
            except ValueError as exc:
                raise Refused(f"older_than: {exc}") from None
            deleted = actions.purge_dead_runs(request, older_than=cutoff)
        elif instance:
            deleted = actions.purge_inbox_letters(request, instance, None)
        else:
            raise Refused("say what to purge: a letter, older_than, or an instance")
    except Refused as exc:
        if not exc.recorded:
            record_refusal(request, "dead_letter.purge", letter or instance, exc.message, 400)
        return report_refusal(request, exc, reverse("console:deadletters"))
    messages.success(request, f"Purged {deleted} dead letter(s).")
    return back(request, reverse("console:deadletters"))
