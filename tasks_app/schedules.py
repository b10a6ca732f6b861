"""Task schedules: parsing the API's schedule JSON, and when a schedule fires. Pure: no database.

A schedule is one of

- `{"cron": "*/5 * * * *", "timezone": "Europe/Berlin"}`: a cron expression evaluated on the
  wall clock of an IANA time zone (`timezone` optional, default "UTC");
- `{"interval_seconds": 10, "anchor": "2026-01-01T00:00:00Z"}`: every `interval_seconds`
  (1 second to 366 days) from `anchor` (optional, default: the task's creation time);
- `{"at": "2026-03-29T02:30:00+01:00"}`: once;
- `null` or `{}`: no schedule.

Times (`at`, `anchor`) are ISO 8601 with an explicit UTC offset or `Z`. Fire times are
timezone-aware UTC datetimes and are unique instants: a schedule never fires twice at one instant.

Cron syntax
-----------
Five fields: minute (0-59), hour (0-23), day-of-month (1-31), month (1-12 or jan-dec),
day-of-week (0-7 or sun-sat; 0 and 7 are Sunday). Names are case-insensitive. A field is a
comma-separated list of `*`, `N`, `A-B`, `*/S`, `A-B/S` or `A/S` (= `A-<field max>/S`); a step
S runs from 1 to the field's maximum (6 for day-of-week); ranges do not wrap around (`fri-mon`
is an error: write `fri-sat,sun-mon`). The macros `@hourly`, `@daily`, `@weekly`, `@monthly`
and `@yearly` are accepted. Anything else is rejected, naming the field and the value: six
fields or seconds, `?`, `L`, `W`, `#`, `@reboot`, and expressions that can never fire such as
`0 0 30 2 *`.

Days follow Vixie cron (crontab(5)): if both day-of-month and day-of-week are restricted, i.e.
neither field starts with `*`, a day matches when EITHER matches (`0 0 1 * mon`: the 1st of
each month and every Monday); otherwise a day must match both (`0 0 */2 * mon`: odd-numbered
days that are Mondays).

Daylight-saving time
--------------------
A cron expression matches local wall-clock minutes in its time zone; each matching minute
fires as follows.

1. A wall-clock time that occurs once fires at that instant. `0 9 * * 1-5` in Europe/Berlin
   fires at 08:00 UTC in winter (CET) and 07:00 UTC in summer (CEST).
2. Gap (clocks spring forward, the time does not exist): it fires as far past the transition
   as it was meant to be past the start of the gap, i.e. read with the UTC offset in force
   before the transition (Python's fold=0). In Europe/Berlin on 2026-03-29 clocks go from 02:00
   to 03:00, and `30 2 * * *` fires at 03:30 CEST (01:30 UTC); in America/New_York on
   2026-03-08 it fires at 03:30 EDT (07:30 UTC). A fire is never lost. When that instant is
   also a fire time in its own right (`30 * * * *` fires at 03:30 anyway) it fires once, so
   `*/5 * * * *` keeps firing every 5 minutes of real time through the change.
3. Overlap (clocks fall back, the time occurs twice): it fires once, at the first occurrence
   (fold=0, the offset in force before the transition). In Europe/Berlin on 2026-10-25 clocks
   go from 03:00 back to 02:00, and `30 2 * * *` fires at 02:30 CEST (00:30 UTC) only; in
   America/New_York on 2026-11-01, `30 1 * * *` fires at 01:30 EDT (05:30 UTC) only.
   Exception: if the hour field matches every hour (`*`, `*/1`, `0-23`), a repeated minute fires
   at both occurrences, one hour apart, so an hourly or more frequent job keeps its cadence in
   real time: `*/5 * * * *` fires every 5 minutes through the repeated hour (24 fires between
   the first 02:00 and the second 02:55), and `0 * * * *` fires at 02:00 CEST and 02:00 CET.
4. An interval fires at anchor + k * interval_seconds for every integer k >= 0 (the anchor
   itself is a fire time), counted in UTC: daylight-saving time does not affect it.
5. A one-off fires exactly once, at `at`.

The same rules hold in any zone and for any size of shift (30-minute changes such as
Australia/Lord_Howe, transitions at midnight such as America/Santiago, whole skipped days such
as Pacific/Apia on 2011-12-30), given that a zone's offset changes at most once in a day, which
holds for every zone in the tz database since 1970.

celery_beat_fields() gives the django-celery-beat row for a schedule; the row wakes beat up, but
the fire times above are the schedule: celery's crontab differs from them on DST transition
days, for day-of-month/day-of-week pairs under the OR rule (celery requires both), and an
interval row does not know the anchor.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from itertools import islice
from zoneinfo import ZoneInfo, available_timezones

from tasks_app import cron

__all__ = [
    "Cron",
    "Interval",
    "OneOff",
    "Schedule",
    "ScheduleError",
    "celery_beat_fields",
    "fire_times",
    "latest_fire_time",
    "next_fire_time",
    "next_fire_times",
    "parse_schedule",
    "to_json",
]

MAX_INTERVAL_SECONDS = 366 * 86400
# A cron expression longer than this is refused before it is parsed (no real one comes close).
MAX_CRON_LENGTH = 256
# django-celery-beat's CrontabSchedule columns (varchar): a valid expression whose field, in
# celery's syntax, does not fit its column would be a database error on save; refused instead.
# tests/api/test_a_cron_expression_too_long_for_beat_is_refused.py checks these against
# the model.
CELERY_FIELD_LIMITS = {"minute": 240, "hour": 96, "day-of-month": 124, "month": 64, "day-of-week": 64}
_UTC = UTC
_KINDS = ("cron", "interval_seconds", "at")
_ALLOWED = {"cron": {"cron", "timezone"}, "interval_seconds": {"interval_seconds", "anchor"}, "at": {"at"}}


class ScheduleError(ValueError):
    """An invalid schedule; the message starts with the field, e.g. "schedule.cron: ..."."""


@lru_cache(maxsize=1)
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones() - {"localtime", "posixrules"})


def _check_timezone(name: object) -> str:
    if not isinstance(name, str):
        raise ScheduleError(f"schedule.timezone: must be an IANA time zone name such as 'Europe/Berlin', got {name!r}")
    if name not in _zone_names():
        raise ScheduleError(f"schedule.timezone: unknown time zone '{name}'")
    try:
        ZoneInfo(name)
    except Exception:  # noqa: BLE001  a listed but unreadable zone file
        raise ScheduleError(f"schedule.timezone: unknown time zone '{name}'") from None
    return name


def _aware_utc(value: object, field: str) -> datetime:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise ScheduleError(f"schedule.{field}: '{value}' is not an ISO 8601 date and time") from None
    if not isinstance(value, datetime):
        raise ScheduleError(f"schedule.{field}: must be an ISO 8601 date and time with a UTC offset, got {value!r}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ScheduleError(f"schedule.{field}: '{value.isoformat()}' has no UTC offset (end it with Z or +HH:MM)")
    return value.astimezone(_UTC)


@dataclass(frozen=True)
class Cron:
    expression: str
    timezone: str = "UTC"

    def __post_init__(self):
        _check_timezone(self.timezone)
        if isinstance(self.expression, str) and len(self.expression) > MAX_CRON_LENGTH:
            raise ScheduleError(
                f"schedule.cron: {len(self.expression)} characters; at most {MAX_CRON_LENGTH}"
            )
        try:
            spec = cron.parse(self.expression)
        except cron.CronError as exc:
            raise ScheduleError(f"schedule.cron: {exc}") from None
        for (field, limit), value in zip(CELERY_FIELD_LIMITS.items(), spec.celery_fields()):
            if len(value) > limit:
                raise ScheduleError(
                    f"schedule.cron: the {field} field is {len(value)} characters in celery's syntax; at most {limit}"
                )

    @property
    def spec(self) -> cron.CronSpec:
        return cron.parse(self.expression)


@dataclass(frozen=True)
class Interval:
    seconds: int
    anchor: datetime  # aware, normalised to UTC

    def __post_init__(self):
        if type(self.seconds) is not int or not 1 <= self.seconds <= MAX_INTERVAL_SECONDS:
            raise ScheduleError(
                f"schedule.interval_seconds: must be a whole number from 1 to {MAX_INTERVAL_SECONDS} (366 days), "
                f"got {self.seconds!r}"
            )
        object.__setattr__(self, "anchor", _aware_utc(self.anchor, "anchor"))


@dataclass(frozen=True)
class OneOff:
    at: datetime  # aware, normalised to UTC

    def __post_init__(self):
        object.__setattr__(self, "at", _aware_utc(self.at, "at"))


Schedule = Cron | Interval | OneOff


# ----- JSON -----


def parse_schedule(data: dict | None, *, default_anchor: datetime) -> Schedule | None:
    """The schedule a task's JSON describes; None for null or {}. Raises ScheduleError.

    default_anchor (aware) anchors an interval given without "anchor"; pass the task's
    creation time so the schedule does not move each time it is parsed."""
    if data is None or data == {}:
        return None
    if not isinstance(data, dict):
        raise ScheduleError(f"schedule: must be an object or null, got {type(data).__name__}")
    kinds = [k for k in _KINDS if k in data]
    if len(kinds) != 1:
        found = f"got {', '.join(kinds)}" if kinds else f"got {', '.join(sorted(map(str, data)))}"
        raise ScheduleError(f"schedule: needs exactly one of cron, interval_seconds or at ({found})")
    kind = kinds[0]
    for key in data:
        if key not in _ALLOWED[kind]:
            allowed = ", ".join(sorted(_ALLOWED[kind]))
            raise ScheduleError(f"schedule.{key}: unknown field for a {kind} schedule (allowed: {allowed})")
    if kind == "cron":
        expression = data["cron"]
        if not isinstance(expression, str) or not expression.strip():
            raise ScheduleError(f"schedule.cron: must be a non-empty string such as '*/5 * * * *', got {expression!r}")
        tz = data.get("timezone")
        return Cron(" ".join(expression.split()), "UTC" if tz is None else tz)
    if kind == "interval_seconds":
        anchor = data.get("anchor")
        if anchor is None:
            if not isinstance(default_anchor, datetime) or default_anchor.utcoffset() is None:
                raise ValueError("default_anchor must be a timezone-aware datetime")
            anchor = default_anchor
        return Interval(data["interval_seconds"], anchor)
    return OneOff(data["at"])


def _iso(moment: datetime) -> str:
    return moment.astimezone(_UTC).isoformat().replace("+00:00", "Z")


def to_json(schedule: Schedule | None) -> dict | None:
    """The JSON form of a schedule; parse_schedule(to_json(s), ...) == s."""
    if schedule is None:
        return None
    if isinstance(schedule, Cron):
        return {"cron": schedule.expression, "timezone": schedule.timezone}
    if isinstance(schedule, Interval):
        return {"interval_seconds": schedule.seconds, "anchor": _iso(schedule.anchor)}
    if isinstance(schedule, OneOff):
        return {"at": _iso(schedule.at)}
    raise TypeError(f"not a schedule: {schedule!r}")


# ----- fire times -----


def _aware(moment: datetime, name: str) -> datetime:
    if not isinstance(moment, datetime) or moment.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got {moment!r}")
    return moment


def _after(schedule: Schedule | None, after: datetime) -> Iterator[datetime]:
    """Every fire time > after, ascending (unbounded for cron and intervals)."""
    _aware(after, "after")
    if schedule is None:
        return
    if isinstance(schedule, Cron):
        for t in schedule.spec.instants_after(schedule.timezone, cron.to_instant(after)):
            yield cron.to_datetime(t)
    elif isinstance(schedule, Interval):
        step = timedelta(seconds=schedule.seconds)
        k = 0 if after < schedule.anchor else (after - schedule.anchor) // step + 1
        t = schedule.anchor + k * step
        while True:
            yield t
            t += step
    elif isinstance(schedule, OneOff):
        if schedule.at > after:
            yield schedule.at
    else:
        raise TypeError(f"not a schedule: {schedule!r}")


def fire_times(schedule: Schedule | None, after: datetime, until: datetime, limit: int = 1000) -> list[datetime]:
    """Every fire time t with after < t <= until, ascending: the oldest `limit` of them."""
    _aware(until, "until")
    if limit < 0:
        raise ValueError("limit must be >= 0")
    out = []
    if limit == 0:
        return out
    for t in _after(schedule, after):
        if t > until:
            break
        out.append(t)
        if len(out) >= limit:
            break
    return out


def next_fire_times(schedule: Schedule | None, after: datetime, n: int) -> list[datetime]:
    """The first n fire times > after (fewer for a one-off)."""
    if n < 0:
        raise ValueError("n must be >= 0")
    return list(islice(_after(schedule, after), n))


def next_fire_time(schedule: Schedule | None, after: datetime) -> datetime | None:
    """The first fire time > after; None if there is none (a past one-off, no schedule)."""
    return next(_after(schedule, after), None)


def latest_fire_time(schedule: Schedule | None, at_or_before: datetime) -> datetime | None:
    """The last fire time <= at_or_before; None if there is none (cron: none in 50 years)."""
    _aware(at_or_before, "at_or_before")
    if schedule is None:
        return None
    if isinstance(schedule, Cron):
        t = schedule.spec.latest_at_or_before(schedule.timezone, cron.to_instant(at_or_before))
        return None if t is None else cron.to_datetime(t)
    if isinstance(schedule, Interval):
        if at_or_before < schedule.anchor:
            return None
        step = timedelta(seconds=schedule.seconds)
        return schedule.anchor + (at_or_before - schedule.anchor) // step * step
    if isinstance(schedule, OneOff):
        return schedule.at if schedule.at <= at_or_before else None
    raise TypeError(f"not a schedule: {schedule!r}")


# ----- django-celery-beat -----


def celery_beat_fields(schedule: Schedule) -> dict:
    """The django-celery-beat schedule row for a schedule, with "kind" naming its model:
    crontab (CrontabSchedule), interval (IntervalSchedule) or clocked (ClockedSchedule).

    Cron fields are in celery's syntax (numbers only, day-of-week 0-6 with 0 = Sunday, no
    `A/S`), converted element by element, so joining the five fields with spaces and parsing
    the result gives back the same schedule (macros come back expanded, names as numbers).
    Celery's crontab is not Taskplane's: it ignores the OR rule (a day must match both day
    fields) and handles DST transitions its own way; the row's job is to wake beat up, and
    fire_times() decides what actually fires."""
    if isinstance(schedule, Cron):
        minute, hour, day_of_month, month_of_year, day_of_week = schedule.spec.celery_fields()
        return {
            "kind": "crontab",
            "minute": minute,
            "hour": hour,
            "day_of_month": day_of_month,
            "month_of_year": month_of_year,
            "day_of_week": day_of_week,
            "timezone": schedule.timezone,
        }
    if isinstance(schedule, Interval):
        return {"kind": "interval", "every": schedule.seconds, "period": "seconds"}
    if isinstance(schedule, OneOff):
        return {"kind": "clocked", "clocked_time": schedule.at}
    raise TypeError(f"not a schedule: {schedule!r}")
