"""The fast cron evaluation (field sets, day and hour jumps) agrees with a brute-force reference
that walks every local minute and applies the documented DST rules directly, on random
expressions, over windows spanning DST changes in zones with 1-hour, 2-hour and 30-minute
shifts, changes at midnight, and a skipped day (Pacific/Apia, 2011-12-30)."""

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tasks_app.schedules import Cron, ScheduleError, fire_times, latest_fire_time, next_fire_time, next_fire_times

UTC = UTC
MONTHS = "jan feb mar apr may jun jul aug sep oct nov dec".split()
DAYS = "sun mon tue wed thu fri sat".split()
DAYS_IN_MONTH = (0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)

# (zone, a UTC instant near a change of offset)
WINDOWS = [
    ("Europe/Berlin", datetime(2026, 3, 29, 1, tzinfo=UTC)),
    ("Europe/Berlin", datetime(2026, 10, 25, 1, tzinfo=UTC)),
    ("America/New_York", datetime(2026, 3, 8, 7, tzinfo=UTC)),
    ("America/New_York", datetime(2026, 11, 1, 6, tzinfo=UTC)),
    ("Australia/Lord_Howe", datetime(2026, 4, 4, 15, tzinfo=UTC)),  # 30-minute overlap
    ("Australia/Lord_Howe", datetime(2026, 10, 3, 15, 30, tzinfo=UTC)),  # 30-minute gap
    ("America/Santiago", datetime(2026, 4, 5, 3, tzinfo=UTC)),  # back from 24:00 to 23:00
    ("America/Santiago", datetime(2026, 9, 6, 4, tzinfo=UTC)),  # midnight does not exist
    ("America/Havana", datetime(2026, 11, 1, 5, tzinfo=UTC)),
    ("Antarctica/Troll", datetime(2026, 3, 29, 1, tzinfo=UTC)),  # 2-hour gap
    ("Antarctica/Troll", datetime(2026, 10, 25, 1, tzinfo=UTC)),  # 2-hour overlap
    ("Pacific/Apia", datetime(2011, 12, 30, 10, tzinfo=UTC)),  # 30 December 2011 skipped
    ("UTC", datetime(2026, 2, 26, tzinfo=UTC)),  # across 28 February / 1 March
]
EXPRESSIONS_PER_WINDOW = 20
HALF_WINDOW = timedelta(days=6)


# ----- random expressions, with the value sets they mean computed independently -----


def random_part(rng, lo, hi, names, max_step):
    kind = rng.choice(["star", "star_step", "number", "number", "range", "range_step", "from_step"])
    word = (lambda v: names[v - lo] if names and v - lo < len(names) and rng.random() < 0.4 else str(v))
    if kind == "star":
        return "*", set(range(lo, hi + 1))
    if kind == "star_step":
        step = rng.randint(2, max_step)
        return f"*/{step}", set(range(lo, hi + 1, step))
    a = rng.randint(lo, hi)
    if kind == "number":
        return word(a), {a}
    if kind == "from_step":
        step = rng.randint(1, max_step)
        return f"{a}/{step}", set(range(a, hi + 1, step))
    b = rng.randint(a, hi)
    if kind == "range":
        return f"{word(a)}-{word(b)}", set(range(a, b + 1))
    step = rng.randint(1, max_step)
    return f"{word(a)}-{word(b)}/{step}", set(range(a, b + 1, step))


def random_field(rng, lo, hi, names=None, max_step=None, star_bias=0.4):
    if rng.random() < star_bias:
        return "*", set(range(lo, hi + 1))
    texts, values = [], set()
    for _ in range(rng.choice([1, 1, 1, 2, 3])):
        text, vals = random_part(rng, lo, hi, names, max_step or hi)
        texts.append(text)
        values |= vals
    return ",".join(texts), values


def random_expression(rng):
    minute = random_field(rng, 0, 59, star_bias=0.15)
    hour = random_field(rng, 0, 23, star_bias=0.5)
    dom = random_field(rng, 1, 31, star_bias=0.5)
    month = random_field(rng, 1, 12, names=MONTHS, star_bias=0.8)
    dow = random_field(rng, 0, 7, names=DAYS, max_step=6, star_bias=0.5)
    text = " ".join(f[0] for f in (minute, hour, dom, month, dow))
    weekdays = {d % 7 for d in dow[1]}
    meaning = {
        "minutes": minute[1], "hours": hour[1], "days": dom[1], "months": month[1], "weekdays": weekdays,
        "day_or": not dom[0].startswith("*") and not dow[0].startswith("*"),
        "every_hour": hour[1] == set(range(24)),
    }
    return text, meaning


def never_fires(m):
    return not m["day_or"] and not any(d <= DAYS_IN_MONTH[mo] for mo in m["months"] for d in m["days"])


# ----- the reference: every local minute, the rules as written in the module docstring -----


def matches(m, local: datetime) -> bool:
    if local.minute not in m["minutes"] or local.hour not in m["hours"] or local.month not in m["months"]:
        return False
    dom = local.day in m["days"]
    dow = (local.weekday() + 1) % 7 in m["weekdays"]
    return (dom or dow) if m["day_or"] else (dom and dow)


def reference_fire_times(m, zone, start, end):
    tz = ZoneInfo(zone)
    local = (start.astimezone(tz).replace(tzinfo=None) - timedelta(days=2)).replace(second=0, microsecond=0)
    stop = end.astimezone(tz).replace(tzinfo=None) + timedelta(days=2)
    fires = set()
    while local <= stop:
        if matches(m, local):
            first = local.replace(tzinfo=tz, fold=0).astimezone(UTC)
            second = local.replace(tzinfo=tz, fold=1).astimezone(UTC)
            exists = first.astimezone(tz).replace(tzinfo=None) == local
            if not exists:  # gap: read with the offset before the transition (fold=0)
                fires.add(first)
            elif first != second:  # overlap: the first occurrence; both if every hour matches
                fires.add(first)
                if m["every_hour"]:
                    fires.add(second)
            else:
                fires.add(first)
        local += timedelta(minutes=1)
    return sorted(t for t in fires if start < t <= end)


@pytest.mark.parametrize("zone,change", WINDOWS, ids=[f"{z}-{c:%Y-%m-%d}" for z, c in WINDOWS])
def test_fast_cron_matches_minute_by_minute_reference(zone, change):
    rng = random.Random(f"{zone}{change.isoformat()}")
    start, end = change - HALF_WINDOW, change + HALF_WINDOW
    checked = 0
    while checked < EXPRESSIONS_PER_WINDOW:
        text, meaning = random_expression(rng)
        if never_fires(meaning):
            with pytest.raises(ScheduleError, match="never"):
                Cron(text, zone)
            continue
        checked += 1
        schedule = Cron(text, zone)
        expected = reference_fire_times(meaning, zone, start, end)

        got = fire_times(schedule, start, end, limit=100_000)
        assert got == expected, f"{text!r} in {zone}: {sorted(set(got) ^ set(expected))[:5]}"
        assert all(t.tzinfo is UTC for t in got)

        first = expected[:3]
        assert fire_times(schedule, start, end, limit=3) == first
        assert next_fire_times(schedule, start, len(first)) == first
        for _ in range(10):  # next / latest from random points inside the window
            point = start + timedelta(seconds=rng.randrange(int((end - start).total_seconds())))
            later = [t for t in expected if t > point]
            if later:
                assert next_fire_time(schedule, point) == later[0], f"{text!r} after {point}"
            earlier = [t for t in expected if t <= point]
            if earlier:
                assert latest_fire_time(schedule, point) == earlier[-1], f"{text!r} at or before {point}"
        for t in expected[:: max(1, len(expected) // 5)]:  # exactly at a fire time
            assert latest_fire_time(schedule, t) == t
            assert next_fire_time(schedule, t - timedelta(microseconds=1)) == t
