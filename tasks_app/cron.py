"""Cron expressions: parsing, and their fire instants on local wall-clock time in an IANA zone.

The rules (syntax, day-of-month/day-of-week, daylight-saving time) are stated in the docstring
of tasks_app.schedules, which is the public face of this module. This module holds the
machinery:

- `parse(expression) -> CronSpec`: the five fields as sorted value sets, plus the two flags the
  rules need (does the day use Vixie's OR rule; does the hour field match every hour).
- `CronSpec.instants_after(zone, after)`: fire instants as integer POSIX seconds, ascending,
  lazily. Local days are visited in order, skipping whole months and non-matching days by
  calendar arithmetic. A local day on which the zone's UTC offset does not change (all but
  one or two a year) maps minutes to instants by one subtraction; on a transition day the
  same is done per hour, and only an hour that contains a transition is resolved minute by
  minute through zoneinfo's fold=0 / fold=1. Because a gap moves a fire later, and the repeated
  hour of an overlap can fire twice, instants from a transition hour are held in a heap and
  released once nothing still to come can precede them.

Assumption, true of every zone in the tz database since 1970: a zone's UTC offset changes at
most once in any day, and by at most 24 hours.
"""

from __future__ import annotations

import heapq
import re
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache, lru_cache
from zoneinfo import ZoneInfo

DAY = 86400
HOUR = 3600
# Every accepted expression fires at least once in any 40 years (the rarest: 29 February on
# certain weekdays, "0 0 29 2 */6"; a date falls on a given weekday at least every 40 years), so
# searching 50 years ahead or back finds the next or latest fire of any accepted expression.
HORIZON_DAYS = 50 * 366

MACROS = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@yearly": "0 0 1 1 *",
}

_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_EPOCH_NAIVE = datetime(1970, 1, 1)
_EPOCH_UTC = datetime(1970, 1, 1, tzinfo=UTC)
_MAX_ORDINAL = date.max.toordinal() - 2
_DAYS_IN_MONTH = (0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)  # February: in leap years


class CronError(ValueError):
    """An invalid expression; the message names the field and the value."""


@dataclass(frozen=True)
class _Field:
    name: str
    lo: int
    hi: int
    max_step: int  # as django-celery-beat's validators allow
    names: dict[str, int]


_MONTHS = {n: i for i, n in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split(), 1)}
_WEEKDAYS = {n: i for i, n in enumerate("sun mon tue wed thu fri sat".split())}
FIELDS = (
    _Field("minute", 0, 59, 59, {}),
    _Field("hour", 0, 23, 23, {}),
    _Field("day-of-month", 1, 31, 31, {}),
    _Field("month", 1, 12, 12, _MONTHS),
    _Field("day-of-week", 0, 7, 6, _WEEKDAYS),
)
MINUTE, HOUR_FIELD, DOM, MONTH, DOW = FIELDS

# One list element: "*", "*/n", "a", "a-b", "a-b/n" or "a/n" (a, b: numbers or names).
_PART = re.compile(r"(?:(?P<star>\*)|(?P<a>[0-9a-z]+)(?:-(?P<b>[0-9a-z]+))?)(?:/(?P<step>[0-9]+))?", re.IGNORECASE)
_SUPPORTED = "use *, numbers{names}, ranges a-b, steps */n a-b/n a/n, and lists a,b"


@dataclass(frozen=True)
class _Part:
    """One list element, after parsing: the values lo, lo+step, ... <= hi."""

    star: bool
    lo: int
    hi: int
    step: int


def _invalid(field: _Field, part: str) -> CronError:
    names = (" and names " + ("jan-dec" if field is MONTH else "sun-sat")) if field.names else ""
    return CronError(f"{field.name} field '{part}' is not valid: {_SUPPORTED.format(names=names)}")


def _parse_value(token: str, field: _Field, part: str) -> int:
    if token.isascii() and token.isdigit():
        value = int(token)
    elif token.lower() in field.names:
        return field.names[token.lower()]
    else:
        raise _invalid(field, part)
    if not field.lo <= value <= field.hi:
        raise CronError(f"{field.name} field '{part}' is out of range {field.lo}-{field.hi}")
    return value


def _parse_part(part: str, field: _Field) -> _Part:
    match = _PART.fullmatch(part)
    if match is None:
        raise _invalid(field, part)
    step = 1
    if match["step"] is not None:
        step = int(match["step"])
        if not 1 <= step <= field.max_step:
            raise CronError(f"{field.name} field '{part}' has step {step}, which must be 1-{field.max_step}")
    if match["star"]:
        return _Part(True, field.lo, field.hi, step)
    lo = _parse_value(match["a"], field, part)
    if match["b"] is not None:
        hi = _parse_value(match["b"], field, part)
        if hi < lo:
            raise CronError(f"{field.name} field '{part}' is a reversed range (write it as a list)")
    else:
        hi = field.hi if match["step"] is not None else lo  # "a/n" runs from a to the field's end
    return _Part(False, lo, hi, step)


def _parse_field(text: str, field: _Field) -> tuple[tuple[_Part, ...], frozenset[int]]:
    parts = tuple(_parse_part(part, field) for part in text.split(","))
    values = {v for p in parts for v in range(p.lo, p.hi + 1, p.step)}
    if field is DOW and 7 in values:  # 7 is Sunday too
        values = (values - {7}) | {0}
    return parts, frozenset(values)


@dataclass(frozen=True, eq=False)
class CronSpec:
    """A parsed expression. Sets hold minutes 0-59, hours 0-23, days 1-31, months 1-12 and
    weekdays 0-6 (0 = Sunday)."""

    text: tuple[str, ...]  # the five fields as written (macros expanded)
    parts: tuple[tuple[_Part, ...], ...]
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]
    day_or: bool  # both day fields restricted: a day matches if either matches (Vixie cron)
    every_hour: bool  # the hour field matches all 24 hours: repeated local minutes fire twice

    # ----- days -----

    def _day_matches(self, d: date, ordinal: int) -> bool:
        dom = d.day in self.days
        dow = ordinal % 7 in self.weekdays  # ordinal 7 (0001-01-07) is a Sunday
        return (dom or dow) if self.day_or else (dom and dow)

    def next_day(self, ordinal: int, last: int) -> int | None:
        """The first matching day ordinal >= ordinal and <= last, or None."""
        last = min(last, _MAX_ORDINAL)
        while ordinal <= last:
            d = date.fromordinal(ordinal)
            if d.month not in self.months:  # jump to the first of the next month
                ordinal = (date(d.year + 1, 1, 1) if d.month == 12 else date(d.year, d.month + 1, 1)).toordinal()
            elif self._day_matches(d, ordinal):
                return ordinal
            else:
                ordinal += 1
        return None

    def times(self, day_base: int, lo: int, hi: int) -> Iterator[int]:
        """Matching local times (seconds, as if the wall clock were UTC) in [lo, hi) on the day
        starting at day_base, ascending."""
        h0, rest = divmod(max(lo - day_base, 0), HOUR)
        m0 = -(-rest // 60)
        for h in self.hours[bisect_left(self.hours, h0):]:
            hour_base = day_base + h * HOUR
            if hour_base >= hi:
                return
            for m in self.minutes[bisect_left(self.minutes, m0):] if h == h0 else self.minutes:
                t = hour_base + m * 60
                if t >= hi:
                    return
                yield t

    # ----- instants -----

    def instants_after(self, zone: str, after: int) -> Iterator[int]:
        """Fire instants (POSIX seconds) strictly after `after`, ascending, each once. Ends
        only when no day matches within HORIZON_DAYS of the last (never, for a valid spec)."""
        last = None
        for t in self._ascending(zone, after):
            if t != last:  # a gap's fire can land on another fire: one instant, one fire
                last = t
                yield t

    def _segments(self, zone: str, day_base: int) -> Iterator[tuple[int, int, int | None]]:
        """(start, end, offset) local spans of a matching day: the whole day if the zone's offset
        is the same all day, else each matching hour, with offset None for the hour of a change."""
        offset = _steady_offset(zone, day_base, day_base + DAY)
        if offset is not None:
            yield day_base, day_base + DAY, offset
            return
        for h in self.hours:
            start = day_base + h * HOUR
            yield start, start + HOUR, _steady_offset(zone, start, start + HOUR)

    def _ascending(self, zone: str, after: int) -> Iterator[int]:
        """Fire instants > after in ascending order, possibly repeated."""
        held: list[int] = []  # a heap: instants from hours with a change, not yet known to be next
        local_after = after + _offset_at(zone, after)
        # A gap or an overlap moves a fire at most a day away from its wall-clock time.
        ordinal = max(local_after // DAY + _EPOCH_ORDINAL - 1, 1)
        while (ordinal := self.next_day(ordinal, ordinal + HORIZON_DAYS)) is not None:
            day_base = (ordinal - _EPOCH_ORDINAL) * DAY
            for start, end, offset in self._segments(zone, day_base):
                # Nothing from local time `start` on can fire before its earliest reading.
                floor = start - (offset if offset is not None else max(_offsets(zone, start)))
                while held and held[0] < floor:
                    yield heapq.heappop(held)
                if offset is not None:  # one offset throughout: instant = local - offset, in order
                    if end - offset <= after:
                        continue
                    for local in self.times(day_base, max(start, after + offset + 1), end):
                        while held and held[0] <= local - offset:
                            yield heapq.heappop(held)
                        yield local - offset
                else:  # the hour of a change: read each matching minute through zoneinfo
                    for local in self.times(day_base, start, end):
                        for t in _readings(zone, local, self.every_hour):
                            if t > after:
                                heapq.heappush(held, t)
            ordinal += 1
        while held:
            yield heapq.heappop(held)

    def latest_at_or_before(self, zone: str, at: int) -> int | None:
        """The last fire instant <= at: search back in growing windows, up to HORIZON_DAYS."""
        high, span = at, 600
        while True:
            low = at - span
            found = None
            for t in self.instants_after(zone, low):
                if t > high:
                    break
                found = t
            if found is not None:
                return found
            if span >= HORIZON_DAYS * DAY:
                return None
            high, span = low, min(span * 8, HORIZON_DAYS * DAY)

    # ----- django-celery-beat -----

    def celery_fields(self) -> tuple[str, str, str, str, str]:
        """The five fields in celery's crontab syntax (numbers only, weekdays 0-6, no "a/n"),
        written part by part so that parsing the result again gives this same spec."""
        return tuple(",".join(_celery_part(p, f) for p in parts) for parts, f in zip(self.parts, FIELDS))


def _celery_part(part: _Part, field: _Field) -> str:
    if part.star:
        return "*" if part.step == 1 else f"*/{part.step}"
    if field is DOW and part.hi == 7:  # celery knows Sunday as 0 only: spell the values out
        values = sorted({v % 7 for v in range(part.lo, part.hi + 1, part.step)})
        runs, i = [], 0
        while i < len(values):
            j = i
            while j + 1 < len(values) and values[j + 1] == values[j] + 1:
                j += 1
            runs.append(str(values[i]) if i == j else f"{values[i]}-{values[j]}")
            i = j + 1
        return ",".join(runs)
    if part.lo == part.hi:
        return str(part.lo)
    return f"{part.lo}-{part.hi}" + (f"/{part.step}" if part.step > 1 else "")


@lru_cache(maxsize=4096)
def parse(expression: str) -> CronSpec:
    """Parse a 5-field expression or macro; CronError names the field and value."""
    if not isinstance(expression, str) or not expression.strip():
        raise CronError("must be a non-empty string such as '*/5 * * * *'")
    text = expression.strip()
    if text.startswith("@"):
        if text.lower() not in MACROS:
            raise CronError(f"unknown macro '{text}' (use {', '.join(MACROS)})")
        text = MACROS[text.lower()]
    fields = text.split()
    if len(fields) != 5:
        raise CronError(
            f"'{expression}' has {len(fields)} fields; expected 5: minute hour day-of-month month day-of-week"
        )
    parsed = [_parse_field(t, f) for t, f in zip(fields, FIELDS)]
    parts = tuple(p for p, _ in parsed)
    minutes, hours, days, months, weekdays = (v for _, v in parsed)
    dom_restricted, dow_restricted = not fields[2].startswith("*"), not fields[4].startswith("*")
    spec = CronSpec(
        text=tuple(fields),
        parts=parts,
        minutes=tuple(sorted(minutes)),
        hours=tuple(sorted(hours)),
        days=days,
        months=months,
        weekdays=weekdays,
        day_or=dom_restricted and dow_restricted,
        every_hour=len(hours) == 24,
    )
    # With the OR rule every month has matching weekdays; otherwise some month must have one of
    # the days (a valid date falls on every weekday in some year): "0 0 30 2 *" never fires.
    if not spec.day_or and not any(d <= _DAYS_IN_MONTH[m] for m in months for d in days):
        raise CronError(
            f"day-of-month field '{fields[2]}' never occurs in month field '{fields[3]}': "
            f"'{expression}' would never fire"
        )
    return spec


# ----- time zone arithmetic (integer seconds; "local" = wall-clock time read as if UTC) -----


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _seconds(delta: timedelta) -> int:
    return delta.days * DAY + delta.seconds


@lru_cache(maxsize=1 << 16)
def _offsets(zone: str, local: int) -> tuple[int, int]:
    """UTC offsets of a wall-clock time read with fold=0 and fold=1 (equal unless it is in a gap
    or an overlap)."""
    naive = _EPOCH_NAIVE + timedelta(seconds=local)
    tz = _zone(zone)
    return _seconds(naive.replace(tzinfo=tz).utcoffset()), _seconds(naive.replace(tzinfo=tz, fold=1).utcoffset())


def _steady_offset(zone: str, start: int, end: int) -> int | None:
    """The offset if it is one and the same from local time start to end, else None."""
    a0, a1 = _offsets(zone, start)
    b0, b1 = _offsets(zone, end)
    return a0 if a0 == a1 == b0 == b1 else None


def _offset_at(zone: str, instant: int) -> int:
    return _seconds((_EPOCH_UTC + timedelta(seconds=instant)).astimezone(_zone(zone)).utcoffset())


def _readings(zone: str, local: int, both: bool) -> tuple[int, ...]:
    """The instants a matching wall-clock time fires at (see the DST rules)."""
    off0, off1 = _offsets(zone, local)
    first, second = local - off0, local - off1
    if first < second and both:  # an overlap, and an every-hour expression: both occurrences
        return first, second
    return (first,)  # exists once; or a gap (fold=0 = the offset before it); or an overlap's first


def to_datetime(instant: int) -> datetime:
    return _EPOCH_UTC + timedelta(seconds=instant)


def to_instant(moment: datetime) -> int:
    """Whole POSIX seconds, rounded down (fire instants are whole minutes, so t > moment exactly
    when t > to_instant(moment))."""
    return (moment - _EPOCH_UTC) // timedelta(seconds=1)
