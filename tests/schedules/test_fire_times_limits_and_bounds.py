"""fire_times() returns after < t <= until, ascending, aware UTC, at most `limit` (the oldest),
and stops at the limit however long the window; the other functions handle edges the same way.
Evaluation jumps through field sets rather than scanning minutes, so it is cheap per schedule."""

import time
from datetime import UTC, datetime, timedelta, timezone

import pytest

from tasks_app.schedules import (
    Cron,
    Interval,
    OneOff,
    fire_times,
    latest_fire_time,
    next_fire_time,
    next_fire_times,
)

UTC = UTC


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def test_limit_keeps_the_oldest_and_stops_early():
    every_minute = Cron("* * * * *", "Europe/Berlin")
    started = time.perf_counter()
    fires = fire_times(every_minute, utc(2000, 1, 1), utc(2100, 1, 1), limit=5)
    assert time.perf_counter() - started < 5  # stops at the limit: a scan of the century would take minutes
    assert fires == [utc(2000, 1, 1, 0, m) for m in range(1, 6)]
    every_second = Interval(1, utc(2020, 1, 1))
    fires = fire_times(every_second, utc(2020, 1, 1), utc(2030, 1, 1), limit=1000)
    assert len(fires) == 1000 and fires[-1] == utc(2020, 1, 1, 0, 16, 40)
    assert fire_times(every_minute, utc(2026, 1, 1), utc(2026, 1, 2)) == fire_times(
        every_minute, utc(2026, 1, 1), utc(2026, 1, 2), limit=1000)
    assert len(fire_times(every_minute, utc(2026, 1, 1), utc(2026, 1, 2))) == 1000  # the default limit


def test_limit_zero_and_empty_windows():
    schedule = Cron("*/5 * * * *", "UTC")
    assert fire_times(schedule, utc(2026, 1, 1), utc(2026, 1, 2), limit=0) == []
    assert fire_times(schedule, utc(2026, 1, 2), utc(2026, 1, 1)) == []
    assert fire_times(schedule, utc(2026, 1, 1, 0, 1), utc(2026, 1, 1, 0, 4)) == []
    with pytest.raises(ValueError):
        fire_times(schedule, utc(2026, 1, 1), utc(2026, 1, 2), limit=-1)


def test_after_is_exclusive_and_until_inclusive():
    schedule = Cron("*/5 * * * *", "UTC")
    assert fire_times(schedule, utc(2026, 1, 1, 0, 5), utc(2026, 1, 1, 0, 15)) == [utc(2026, 1, 1, 0, 10),
                                                                                 utc(2026, 1, 1, 0, 15)]
    assert next_fire_time(schedule, utc(2026, 1, 1, 0, 5)) == utc(2026, 1, 1, 0, 10)
    assert next_fire_time(schedule, utc(2026, 1, 1, 0, 4, 59, 999999)) == utc(2026, 1, 1, 0, 5)
    assert latest_fire_time(schedule, utc(2026, 1, 1, 0, 5)) == utc(2026, 1, 1, 0, 5)
    assert latest_fire_time(schedule, utc(2026, 1, 1, 0, 4, 59, 999999)) == utc(2026, 1, 1, 0, 0)


def test_inputs_in_any_offset_and_outputs_in_utc():
    plus_two = timezone(timedelta(hours=2))
    fires = fire_times(Cron("0 * * * *", "Europe/Berlin"), datetime(2026, 6, 1, 2, tzinfo=plus_two),
                       datetime(2026, 6, 1, 4, tzinfo=plus_two))
    assert fires == [utc(2026, 6, 1, 1), utc(2026, 6, 1, 2)]
    assert all(t.tzinfo is UTC for t in fires)


@pytest.mark.parametrize("schedule", [Cron("* * * * *", "UTC"), Interval(5, utc(2026, 1, 1)), OneOff(utc(2026, 1, 1))])
def test_naive_datetimes_are_refused(schedule):
    naive = datetime(2026, 1, 1)
    with pytest.raises(ValueError):
        fire_times(schedule, naive, utc(2026, 1, 2))
    with pytest.raises(ValueError):
        fire_times(schedule, utc(2026, 1, 1), naive)
    with pytest.raises(ValueError):
        next_fire_time(schedule, naive)
    with pytest.raises(ValueError):
        latest_fire_time(schedule, naive)


def test_no_schedule_never_fires():
    assert fire_times(None, utc(2026, 1, 1), utc(2027, 1, 1)) == []
    assert next_fire_time(None, utc(2026, 1, 1)) is None
    assert latest_fire_time(None, utc(2026, 1, 1)) is None
    assert next_fire_times(None, utc(2026, 1, 1), 3) == []


def test_next_fire_times():
    assert next_fire_times(Cron("0 0 1 * *", "UTC"), utc(2026, 1, 15), 3) == [utc(2026, 2, 1), utc(2026, 3, 1),
                                                                             utc(2026, 4, 1)]
    assert next_fire_times(Cron("0 0 1 * *", "UTC"), utc(2026, 1, 15), 0) == []


def test_rare_schedules_are_found_far_back_and_ahead():
    # 1 February on a Sunday ("*/31" is the 1st; a star-prefixed field means both day fields must match).
    schedule = Cron("0 0 */31 2 sun", "UTC")
    assert next_fire_time(schedule, utc(2026, 3, 1)) == utc(2032, 2, 1)
    assert latest_fire_time(schedule, utc(2026, 1, 31)) == utc(2015, 2, 1)  # 11 years back
    # 29 February on a weekend ("*/6": Sunday and Saturday): 1992, 2004, 2020, 2032.
    schedule = Cron("0 0 29 2 */6", "UTC")
    assert next_fire_time(schedule, utc(2005, 1, 1)) == utc(2020, 2, 29)
    assert latest_fire_time(schedule, utc(2020, 2, 28)) == utc(2004, 2, 29)


def test_many_schedules_are_cheap():
    expressions = ["*/5 * * * *", "0 9 * * 1-5", "30 2 * * *", "0 0 1 1 *", "0 0 29 2 *", "0 12 * * mon", "* * * * *"]
    zones = ["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe"]
    schedules = [Cron(e, z) for e in expressions for z in zones] * 200  # 5600
    now = utc(2026, 10, 25, 0, 40)  # a transition day in Berlin
    started = time.perf_counter()
    for schedule in schedules:
        next_fire_time(schedule, now)
        latest_fire_time(schedule, now)
    assert time.perf_counter() - started < 10  # about 0.5 s; scanning minute by minute would take hours
