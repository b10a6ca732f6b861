"""How the console says things: schedules in words with their zone, fire times in the task's
zone, durations, statuses with a symbol (never by colour alone)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

from cron_descriptor import ExpressionDescriptor, Options
from django.utils import timezone

from tasks_app import states
from tasks_app.schedules import Cron, Interval, OneOff, ScheduleError, next_fire_times, parse_schedule

MACROS = {"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
          "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *"}
SYMBOLS = {
    states.SUCCEEDED: "✓", states.FAILED: "✗", states.TIMED_OUT: "⏱", states.CANCELLED: "⊘", states.LOST: "?",
    states.DEAD: "☠", states.RUNNING: "▶", states.QUEUED: "…", states.PENDING: "○", states.RETRYING: "↻",
    states.SKIPPED: "↷", "online": "●", "draining": "◐", "offline": "○", "stalled": "!",
}
# Outcome classes: the colours of the charts and badges, and the words of their legends.
FAILURES = frozenset({states.FAILED, states.TIMED_OUT, states.LOST, states.DEAD})
ACTIVE = frozenset(states.ACTIVE)


def outcome(status: str) -> str:
    if status in (states.SUCCEEDED, "online"):  # a run's status, or a worker's
        return "ok"
    if status in FAILURES:
        return "bad"
    if status in ACTIVE:
        return "active"
    return "other"  # cancelled, skipped


@lru_cache(maxsize=1)
def zone_names() -> tuple[str, ...]:
    return tuple(sorted(available_timezones() - {"localtime", "posixrules"}))


def _options() -> Options:
    options = Options()
    options.use_24hour_time_format = True
    options.verbose = False
    return options


@lru_cache(maxsize=2048)
def cron_words(expression: str) -> str:
    """A cron expression in words (cron-descriptor), with Taskplane's day rule: when both
    day-of-month and day-of-week are restricted, either day matches (Vixie cron)."""
    text = MACROS.get(expression.strip().lower(), expression)
    fields = text.split()
    try:
        if len(fields) == 5 and not fields[2].startswith("*") and not fields[4].startswith("*"):
            minute, hour, dom, month, dow = fields
            by_month_day = ExpressionDescriptor(f"{minute} {hour} {dom} {month} *", _options()).get_description()
            by_weekday = ExpressionDescriptor(f"{minute} {hour} * {month} {dow}", _options()).get_description()
            return f"{by_month_day}, or {by_weekday.split(', ', 1)[-1]}"
        return ExpressionDescriptor(text, _options()).get_description()
    except Exception:  # noqa: BLE001  a valid expression cron-descriptor cannot word: say it as it is
        return text


def _every(seconds: int) -> str:
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds % size == 0:
            n = seconds // size
            return f"every {unit}" if n == 1 else f"every {n} {unit}s"
    return "every second" if seconds == 1 else f"every {seconds} seconds"


@dataclass(frozen=True)
class ScheduleView:
    kind: str  # "cron" | "interval" | "once" | "none" | "invalid"
    words: str
    zone: str  # the zone its fire times are shown in
    text: str  # the schedule as written (cron expression, interval, time)
    schedule: object = None

    def next_fires(self, n: int = 10, after: datetime | None = None) -> list[datetime]:
        """The next n fire times, aware, in self.zone."""
        if self.schedule is None:
            return []
        zone = ZoneInfo(self.zone)
        return [t.astimezone(zone) for t in next_fire_times(self.schedule, after or timezone.now(), n)]


def schedule_view(schedule_json, created_at: datetime | None = None) -> ScheduleView:
    try:
        schedule = parse_schedule(schedule_json, default_anchor=created_at or datetime.now(UTC))
    except ScheduleError as exc:
        return ScheduleView("invalid", f"invalid schedule: {exc}", "UTC", str(schedule_json))
    if schedule is None:
        return ScheduleView("none", "no schedule (runs when triggered)", "UTC", "")
    if isinstance(schedule, Cron):
        return ScheduleView("cron", cron_words(schedule.expression), schedule.timezone, schedule.expression, schedule)
    if isinstance(schedule, Interval):
        anchor = schedule.anchor.strftime("%Y-%m-%d %H:%M:%S UTC")
        return ScheduleView("interval", f"{_every(schedule.seconds).capitalize()}, counted from {anchor}", "UTC",
                            f"{schedule.seconds} s", schedule)
    if isinstance(schedule, OneOff):
        return ScheduleView("once", f"Once, at {schedule.at.strftime('%Y-%m-%d %H:%M:%S UTC')}", "UTC",
                            schedule.at.isoformat(), schedule)
    return ScheduleView("invalid", "unknown schedule", "UTC", str(schedule_json))


def duration_text(seconds: float | None) -> str:
    """1.2 s, 42 s, 3 min 5 s, 2 h 10 min, 3 d 4 h: two units at most, a zero second one left out."""
    if seconds is None:
        return "—"
    if seconds < 10:
        return f"{seconds:.1f} s"
    seconds = int(round(seconds))
    for big, size, small, small_size in (("d", 86400, "h", 3600), ("h", 3600, "min", 60), ("min", 60, "s", 1)):
        if seconds >= size and (size > 60 or seconds >= 120):
            rest = seconds % size // small_size
            return f"{seconds // size} {big}" + (f" {rest} {small}" if rest else "")
    return f"{seconds} s"


def seconds_between(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return max(0.0, (end - start).total_seconds())


def ago_text(moment: datetime, now: datetime | None = None) -> str:
    """"3 min ago", "in 2 h": what the page shows; the exact time is its title."""
    now = now or timezone.now()
    delta = (moment - now).total_seconds()
    future, seconds = delta > 0, abs(int(delta))
    if seconds < 45:
        text = f"{seconds} s"
    elif seconds < 5400:
        text = f"{max(1, round(seconds / 60))} min"
    elif seconds < 36 * 3600:
        text = f"{round(seconds / 3600)} h"
    else:
        text = f"{round(seconds / 86400)} d"
    return f"in {text}" if future else f"{text} ago"
