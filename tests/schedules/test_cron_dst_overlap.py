"""Fall back: a wall-clock time that occurs twice fires once, at its first occurrence (fold=0),
unless the hour field matches every hour: then it fires at both occurrences, so an hourly or
more frequent job keeps its cadence in real time."""

from datetime import UTC, datetime, timedelta

import pytest

from tasks_app.schedules import Cron, fire_times, latest_fire_time, next_fire_time

UTC = UTC


def utc(*args):
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    "zone,change",  # the transition instant
    [("Europe/Berlin", utc(2026, 10, 25, 1)), ("America/New_York", utc(2026, 11, 1, 6))],
)
def test_every_five_minutes_runs_straight_through_fall_back(zone, change):
    fires = fire_times(Cron("*/5 * * * *", zone), change - timedelta(hours=2), change + timedelta(hours=2))
    assert len(fires) == 48 and len(set(fires)) == 48
    assert {b - a for a, b in zip(fires, fires[1:])} == {timedelta(minutes=5)}


@pytest.mark.parametrize("expression", ["0 * * * *", "0 */1 * * *", "0 0-23 * * *", "0 0-11,12-23 * * *"])
def test_hourly_fires_in_both_occurrences_of_the_repeated_hour(expression):
    fires = fire_times(Cron(expression, "Europe/Berlin"), utc(2026, 10, 24, 22, 30), utc(2026, 10, 25, 2, 30))
    # 01:00 CEST, 02:00 CEST, 02:00 CET, 03:00 CET
    assert fires == [utc(2026, 10, 24, 23), utc(2026, 10, 25, 0), utc(2026, 10, 25, 1), utc(2026, 10, 25, 2)]


def test_half_past_two_in_berlin_on_the_day_clocks_fall_back_fires_once():
    fires = fire_times(Cron("30 2 * * *", "Europe/Berlin"), utc(2026, 10, 23), utc(2026, 10, 27))
    assert fires == [
        utc(2026, 10, 23, 0, 30),  # 02:30 CEST
        utc(2026, 10, 24, 0, 30),
        utc(2026, 10, 25, 0, 30),  # 02:30 CEST, the first of two; not 02:30 CET (01:30 UTC)
        utc(2026, 10, 26, 1, 30),  # 02:30 CET
    ]


def test_repeated_minutes_fire_once_when_the_hour_is_restricted():
    fires = fire_times(Cron("*/30 2 * * *", "Europe/Berlin"), utc(2026, 10, 24, 12), utc(2026, 10, 25, 12))
    assert fires == [utc(2026, 10, 25, 0), utc(2026, 10, 25, 0, 30)]
    # A step other than 1 restricts the hour: every two hours fires once at 02:00.
    fires = fire_times(Cron("0 */2 * * *", "Europe/Berlin"), utc(2026, 10, 24, 21), utc(2026, 10, 25, 4))
    assert fires == [utc(2026, 10, 24, 22), utc(2026, 10, 25, 0), utc(2026, 10, 25, 3)]  # 00:00, 02:00 CEST, 04:00 CET


def test_new_york_fall_back():
    # 2026-11-01: 02:00 EDT becomes 01:00 EST; 01:00-01:59 occurs twice.
    assert fire_times(Cron("30 1 * * *", "America/New_York"), utc(2026, 10, 31, 12), utc(2026, 11, 2, 12)) == [
        utc(2026, 11, 1, 5, 30),  # 01:30 EDT only
        utc(2026, 11, 2, 6, 30),  # 01:30 EST
    ]
    assert fire_times(Cron("30 2 * * *", "America/New_York"), utc(2026, 10, 31, 12), utc(2026, 11, 2, 12)) == [
        utc(2026, 11, 1, 7, 30),  # 02:30 EST: exists once
        utc(2026, 11, 2, 7, 30),
    ]
    fires = fire_times(Cron("30 * * * *", "America/New_York"), utc(2026, 11, 1, 4), utc(2026, 11, 1, 8))
    assert fires == [utc(2026, 11, 1, h, 30) for h in (4, 5, 6, 7)]  # 00:30, 01:30 EDT, 01:30 EST, 02:30


def test_repeated_hour_before_midnight_in_santiago():
    # 2026-04-05 00:00 (-03) becomes 2026-04-04 23:00 (-04): 23:00-23:59 on the 4th occurs twice.
    fires = fire_times(Cron("30 23 * * *", "America/Santiago"), utc(2026, 4, 3, 12), utc(2026, 4, 6, 12))
    assert fires == [utc(2026, 4, 4, 2, 30), utc(2026, 4, 5, 2, 30), utc(2026, 4, 6, 3, 30)]


def test_next_and_latest_inside_the_repeated_hour():
    once = Cron("30 2 * * *", "Europe/Berlin")
    both = Cron("30 * * * *", "Europe/Berlin")
    inside_second = utc(2026, 10, 25, 1, 10)  # 02:10 CET, the second 02:10
    assert next_fire_time(once, inside_second) == utc(2026, 10, 26, 1, 30)
    assert next_fire_time(both, inside_second) == utc(2026, 10, 25, 1, 30)
    assert latest_fire_time(once, inside_second) == utc(2026, 10, 25, 0, 30)
    assert latest_fire_time(both, inside_second) == utc(2026, 10, 25, 0, 30)
    assert latest_fire_time(both, utc(2026, 10, 25, 1, 45)) == utc(2026, 10, 25, 1, 30)
