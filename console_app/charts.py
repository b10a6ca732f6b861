"""The console's pictures, drawn on the server as inline SVG: no chart library, no script.

Every chart has a text alternative (role="img" with an aria-label that says what it shows, a
<title> on each mark with its status, time and duration) and does not rely on colour: in the
strips and the history chart a failure is also taller and carries a mark of its own.
Colours come from console.css (classes outcome-ok, -bad, -active, -other).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from console_app.present import duration_text, outcome

_ZONE: dict = {}


def _time(moment: datetime | None) -> str:
    """To the second in the server's zone (cheaply: charts format thousands of these a page)."""
    if moment is None:
        return "—"
    zone = _ZONE.get("zone")
    if zone is None:
        zone = _ZONE["zone"] = timezone.get_default_timezone()
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")


def _summary(runs: list[dict]) -> str:
    counts = Counter(r["status"] for r in runs)
    return ", ".join(f"{n} {status.replace('_', ' ')}" for status, n in counts.most_common())


STRIP_HEIGHTS = {"bad": 18, "ok": 12, "active": 8, "other": 6}


def strip(runs: list[dict], slots: int = 30) -> SafeString:
    """The last `slots` runs, oldest left: one bar each. A failure is full height and red, a
    success short and green, anything else shorter still. runs: newest first, each with
    status, created_at, duration (seconds or None), id. (Statuses and times need no escaping:
    they come from our own fixed sets and formats.)"""
    shown = runs[:slots][::-1]
    width, gap, height = 6, 2, 18
    label = f"last {len(shown)} runs: {_summary(shown)}" if shown else "no runs yet"
    size = slots * (width + gap)
    parts = [f'<svg class="strip" width="{size}" height="{height}" role="img" aria-label="{label}" '
             f'viewBox="0 0 {size} {height}">']
    offset = slots - len(shown)
    for i, run in enumerate(shown):
        kind = outcome(run["status"])
        h = STRIP_HEIGHTS[kind]
        parts.append(f'<rect class="outcome-{kind}" x="{(offset + i) * (width + gap)}" y="{height - h}" width="{width}" '
                     f'height="{h}" rx="1"><title>#{run["id"]} {run["status"]} · {_time(run["created_at"])} · '
                     f'{duration_text(run.get("duration"))}</title></rect>')
    parts.append("</svg>")
    return mark_safe("".join(parts))


def sparkline(runs: list[dict], slots: int = 30) -> SafeString:
    """Durations of the last runs that have one, oldest left, with the longest's value."""
    points = [r["duration"] for r in reversed(runs[:slots]) if r.get("duration") is not None]
    width, height = 90, 18
    if len(points) < 2:
        return mark_safe(f'<svg class="spark" width="{width}" height="{height}" role="img" aria-label="not enough '
                         f'finished runs for a duration trend"></svg>')
    top = max(points) or 1.0
    step = width / (len(points) - 1)
    coords = " ".join(f"{i * step:.1f},{height - 1 - (p / top) * (height - 2):.1f}" for i, p in enumerate(points))
    label = f"durations of the last {len(points)} runs, longest {duration_text(top)}, latest {duration_text(points[-1])}"
    return mark_safe(f'<svg class="spark" width="{width}" height="{height}" role="img" aria-label="{escape(label)}">'
                     f'<title>{escape(label)}</title><polyline points="{coords}" fill="none"/></svg>')


def history(runs: list[dict], link) -> SafeString:
    """A task's runs, oldest left: one bar per run, its height the duration, its colour the
    outcome; failures also carry a triangle above the bar, so they stand out in any colour.
    `link(run)` gives each bar's target (the run's page)."""
    shown = list(reversed(runs))
    if not shown:
        return mark_safe('<p class="muted">No runs yet.</p>')
    width, height, top_pad, left = 1200, 200, 16, 78
    usable = height - top_pad - 22
    longest = max((r["duration"] or 0.0) for r in shown) or 1.0
    step = (width - left) / max(len(shown), 30)  # a few runs stay thin bars on the left, not slabs
    bar = max(2.0, min(16.0, step - 3))
    failures = sum(1 for r in shown if outcome(r["status"]) == "bad")
    label = (f"duration of the last {len(shown)} runs, oldest left; longest {duration_text(longest)}; "
             f"{failures} failed ({_summary(shown)})")
    base = height - 22
    parts = [f'<svg class="history" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(label)}">',
             f'<text class="axis" x="{left - 8}" y="{top_pad + 4}" text-anchor="end">{escape(duration_text(longest))}</text>',
             f'<text class="axis" x="{left - 8}" y="{base}" text-anchor="end">0</text>',
             f'<line class="axis grid" x1="{left - 4}" y1="{top_pad}" x2="{width}" y2="{top_pad}"/>',
             f'<line class="axis" x1="{left - 4}" y1="{base}" x2="{width}" y2="{base}"/>']
    for i, run in enumerate(shown):
        kind = outcome(run["status"])
        value = run["duration"]
        h = max(2.0, (value or 0.0) / longest * usable) if value is not None else 2.0
        x = left + i * step
        y = base - h
        title = f"#{run['id']} {run['status']} · {_time(run['created_at'])} · {duration_text(value)}"
        mark = ""
        if kind == "bad":
            cx = x + bar / 2
            mark = f'<path class="marker" d="M{cx - 4:.1f},{y - 10:.1f} L{cx + 4:.1f},{y - 10:.1f} L{cx:.1f},{y - 3:.1f} Z"/>'
        parts.append(f'<a href="{escape(link(run))}"><g class="outcome-{kind}"><title>{escape(title)}</title>'
                     f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" rx="1"/>{mark}</g></a>')
    parts.append(f'<text class="axis" x="{left}" y="{height - 4}">oldest {escape(_time(shown[0]["created_at"]))}</text>')
    parts.append(f'<text class="axis" x="{width}" y="{height - 4}" text-anchor="end">'
                 f'newest {escape(_time(shown[-1]["created_at"]))}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))


def per_minute(buckets: list[tuple[datetime, dict]], kinds=("ok", "bad", "other", "active")) -> SafeString:
    """Runs created per minute by outcome, stacked, oldest left. buckets: (minute, {kind: n})
    for every minute of the window, empty ones included."""
    width, height, left = 1200, 180, 56
    usable = height - 40
    most = max((sum(c.values()) for _, c in buckets), default=0) or 1
    step = (width - left) / max(1, len(buckets))
    total = Counter()
    for _, counts in buckets:
        total.update(counts)
    words = {"ok": "succeeded", "bad": "failed", "other": "cancelled or skipped", "active": "still active"}
    label = (f"runs per minute over the last {len(buckets)} minutes, by outcome: "
             + ", ".join(f"{total.get(k, 0)} {words[k]}" for k in kinds))
    base = height - 22.0
    parts = [f'<svg class="per-minute" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(label)}">',
             f'<text class="axis" x="{left - 8}" y="{base - usable + 4}" text-anchor="end">{most}/min</text>',
             f'<text class="axis" x="{left - 8}" y="{base}" text-anchor="end">0</text>',
             f'<line class="axis grid" x1="{left - 4}" y1="{base - usable}" x2="{width}" y2="{base - usable}"/>',
             f'<line class="axis" x1="{left - 4}" y1="{base}" x2="{width}" y2="{base}"/>']
    for i, (minute, counts) in enumerate(buckets):
        y = base
        x = left + i * step
        for kind in kinds:
            n = counts.get(kind, 0)
            if not n:
                continue
            h = n / most * usable
            y -= h
            title = f"{timezone.localtime(minute).strftime('%H:%M')}: {n} {words[kind]}"
            parts.append(f'<rect class="outcome-{kind}" x="{x:.1f}" y="{y:.1f}" width="{max(1.0, step - 1):.1f}" '
                         f'height="{h:.1f}"><title>{escape(title)}</title></rect>')
    if buckets:
        parts.append(f'<text class="axis" x="{left}" y="{height - 4}">'
                     f'{timezone.localtime(buckets[0][0]).strftime("%H:%M")}</text>')
        parts.append(f'<text class="axis" x="{width}" y="{height - 4}" text-anchor="end">'
                     f'{timezone.localtime(buckets[-1][0]).strftime("%H:%M")}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))
