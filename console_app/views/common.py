"""What the console's views share."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from console_app.actions import Refused
from console_app.forms import ParamRows


def back(request, default: str):
    """Where an action returns to: the page it was posted from (same site only), else `default`."""
    target = request.POST.get("next") or request.META.get("HTTP_REFERER") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return redirect(target)
    return redirect(default)


def report_refusal(request, refused: Refused, default: str):
    messages.error(request, refused.message)
    return back(request, default)


def start_run(request, defaults: dict, act, failed_to: str, said):
    """A form that starts a run with parameters (trigger, replay, a dead run's replay): the
    parameter rows over `defaults`, then `act(params)` -> the new run, whose page follows; a bad
    row or a refusal goes back to `failed_to` with the message. `said(run)`: the success message."""
    rows = ParamRows(defaults, request.POST)
    params = rows.value()
    if rows.errors:
        messages.error(request, "; ".join(rows.errors))
        return back(request, failed_to)
    try:
        run = act(params)
    except Refused as exc:
        return report_refusal(request, exc, failed_to)
    messages.success(request, said(run))
    return redirect("console:run", run.pk)


def fragment(request) -> bool:
    """The page's script asks for the refreshed part only."""
    return request.GET.get("fragment") == "1"


def page(request, template: str, context: dict, status: int = 200):
    return render(request, template, context, status=status)
