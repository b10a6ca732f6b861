"""What the console's views share."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from console_app.actions import Refused


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


def fragment(request) -> bool:
    """The page's script asks for the refreshed part only."""
    return request.GET.get("fragment") == "1"


def page(request, template: str, context: dict, status: int = 200):
    return render(request, template, context, status=status)
