"""Template filters of the console: times humanised with the exact time on hover, statuses
with a symbol and a word (never colour alone), durations, fire times in a given zone."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from django import template
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.html import format_html

from console_app import present

register = template.Library()


def _moment(value) -> datetime | None:
    if isinstance(value, str):
        return parse_datetime(value)
    return value or None


@register.filter
def when(moment: datetime | str | None):
    """<time> with the humanised time ("3 min ago"), the exact local time as its title; the
    page's script keeps the words current."""
    moment = _moment(moment)
    if not moment:
        return "—"
    local = timezone.localtime(moment)
    return format_html('<time datetime="{}" title="{}">{}</time>', moment.isoformat(),
                       local.strftime("%Y-%m-%d %H:%M:%S %Z"), present.ago_text(moment))


@register.filter
def exact(moment: datetime | None):
    """To the second, in the server's zone."""
    if not moment:
        return "—"
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S %Z")


@register.filter
def in_zone(moment: datetime | None, zone: str):
    """To the second in `zone`, with its offset; the UTC time on hover."""
    if not moment:
        return "—"
    local = moment.astimezone(ZoneInfo(zone or "UTC"))
    return format_html('<time datetime="{}" data-absolute title="{}">{}</time>', moment.isoformat(),
                       moment.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%d %H:%M:%S UTC"),
                       local.strftime("%a %Y-%m-%d %H:%M:%S %Z (UTC%z)"))


@register.filter
def zoned(moment: datetime | None) -> str:
    """An aware time as it is (no conversion), with its zone and offset."""
    return moment.strftime("%a %Y-%m-%d %H:%M:%S %Z (UTC%z)") if moment else "—"


@lru_cache(maxsize=64)
def _badge(value: str):
    return format_html('<span class="status status-{} outcome-{}" data-status="{}"><span aria-hidden="true">{}</span> {}</span>',
                       value, present.outcome(value), value, present.SYMBOLS.get(value, "•"), value.replace("_", " "))


@register.filter
def status(value: str):
    """A status as a badge: symbol, word, colour. (Cached: a page shows hundreds of them.)"""
    return _badge(str(value or "unknown")[:32])


@register.filter
def duration(seconds):
    return present.duration_text(seconds)


@register.simple_tag
def elapsed(start, end=None):
    """Seconds from start to end (now while it runs), as words."""
    if start is None:
        return "—"
    return present.duration_text(present.seconds_between(start, end or timezone.now()))


@register.filter
def get(mapping, name):
    return (mapping or {}).get(name, "")


@register.filter
def edits_type(viewer, task_type: str) -> bool:
    """Whether the viewer may change a task of this type (shell: Admin)."""
    return bool(viewer) and viewer.edits(task_type)


@register.filter
def kinds(text: str) -> list[tuple[str, str]]:
    """"a:label|b:label" as pairs, for small fixed choice lists written in a template."""
    return [tuple(item.split(":", 1)) for item in text.split("|")]


@register.filter
def split(text: str) -> list[str]:
    return text.split()


@register.filter
def run_of(execution_id: str):
    """The run of an execution id (run-<id>-a<attempt>-<fence>), or None."""
    parts = str(execution_id).split("-")
    return int(parts[1]) if len(parts) >= 3 and parts[0] == "run" and parts[1].isdigit() else None
