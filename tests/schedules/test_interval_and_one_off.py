"""An interval fires at anchor + k * seconds for every k >= 0, in UTC, whatever the clocks do;
a one-off fires exactly once, at its time."""

from datetime import UTC, datetime, timedelta

from tasks_app.schedules import (
    Interval,
    OneOff,
    fire_times,
    latest_fire_time,
    next_fire_time,
    next_fire_times,
    parse_schedule,
)

UTC = UTC
CREATED = datetime(2026, 5, 1, 12, 0, 0, tzinfo=UTC)


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def test_interval_without_anchor_is_anchored_at_the_default_anchor():
    schedule = parse_schedule({"interval_seconds": 10}, default_anchor=CREATED)
    assert schedule == Interval(10, CREATED)
    assert next_fire_times(schedule, CREATED, 3) == [CREATED + timedelta(seconds=s) for s in (10, 20, 30)]
    # The anchor itself is a fire time (k = 0).
    assert next_fire_time(schedule, CREATED - timedelta(microseconds=1)) == CREATED
    assert next_fire_time(schedule, CREATED - timedelta(days=3)) == CREATED


def test_interval_fire_times_are_exact_multiples_of_the_interval():
    schedule = Interval(7, CREATED)
    fires = fire_times(schedule, CREATED + timedelta(seconds=100), CREATED + timedelta(seconds=130))
    assert fires == [CREATED + timedelta(seconds=s) for s in (105, 112, 119, 126)]
    just_before = CREATED + timedelta(seconds=104, microseconds=999999)
    assert next_fire_time(schedule, just_before) == CREATED + timedelta(seconds=105)
    assert next_fire_time(schedule, CREATED + timedelta(seconds=105)) == CREATED + timedelta(seconds=112)


def test_interval_anchor_with_an_offset_is_kept_as_utc():
    schedule = parse_schedule({"interval_seconds": 60, "anchor": "2026-05-01T14:00:30+02:00"}, default_anchor=CREATED)
    assert schedule.anchor == utc(2026, 5, 1, 12, 0, 30) and schedule.anchor.tzinfo is UTC
    assert next_fire_time(schedule, utc(2026, 6, 1)) == utc(2026, 6, 1, 0, 0, 30)


def test_interval_is_not_affected_by_dst():
    schedule = parse_schedule({"interval_seconds": 3600, "anchor": "2026-10-24T20:00:00+02:00"}, default_anchor=CREATED)
    fires = fire_times(schedule, utc(2026, 10, 24, 20), utc(2026, 10, 25, 6))
    assert fires == [utc(2026, 10, 24, 21) + timedelta(hours=h) for h in range(10)]
    spring = Interval(86400, utc(2026, 3, 27, 12))
    assert {t.hour for t in fire_times(spring, utc(2026, 3, 27), utc(2026, 4, 2))} == {12}


def test_interval_latest_fire_time():
    schedule = Interval(10, CREATED)
    assert latest_fire_time(schedule, CREATED - timedelta(seconds=1)) is None
    assert latest_fire_time(schedule, CREATED) == CREATED
    just_before = CREATED + timedelta(seconds=29, microseconds=999999)
    assert latest_fire_time(schedule, just_before) == CREATED + timedelta(seconds=20)
    assert latest_fire_time(schedule, CREATED + timedelta(seconds=30)) == CREATED + timedelta(seconds=30)


def test_interval_keeps_sub_second_anchors():
    anchor = CREATED + timedelta(microseconds=250000)
    assert next_fire_time(Interval(1, anchor), CREATED + timedelta(seconds=5)) == anchor + timedelta(seconds=5)


def test_one_off_fires_once_at_its_time():
    schedule = parse_schedule({"at": "2026-03-29T02:30:00+01:00"}, default_anchor=CREATED)
    at = utc(2026, 3, 29, 1, 30)
    assert schedule == OneOff(at)
    assert fire_times(schedule, at - timedelta(days=1), at) == [at]  # until is inclusive
    assert fire_times(schedule, at, at + timedelta(days=1)) == []  # after is exclusive
    assert next_fire_time(schedule, at - timedelta(seconds=1)) == at
    assert next_fire_time(schedule, at) is None
    assert next_fire_times(schedule, utc(2020, 1, 1), 5) == [at]
    assert latest_fire_time(schedule, at) == at
    assert latest_fire_time(schedule, at - timedelta(microseconds=1)) is None
    assert latest_fire_time(schedule, utc(2030, 1, 1)) == at


def test_one_off_accepts_z():
    assert parse_schedule({"at": "2026-01-01T00:00:00Z"}, default_anchor=CREATED).at == utc(2026, 1, 1)
