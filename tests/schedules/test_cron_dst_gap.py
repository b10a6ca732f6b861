"""Spring forward: a wall-clock time that does not exist fires as far past the transition as
it was meant to be past the start of the gap (read with the offset before it, fold=0), so no
fire is lost, and an instant that two local times map to fires once."""

from datetime import UTC, datetime, timedelta

import pytest

from tasks_app.schedules import Cron, fire_times, latest_fire_time, next_fire_time

UTC = UTC


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def steps(times):
    return {b - a for a, b in zip(times, times[1:])}


@pytest.mark.parametrize(
    "zone,change",  # the transition instant
    [("Europe/Berlin", utc(2026, 3, 29, 1)), ("America/New_York", utc(2026, 3, 8, 7))],
)
def test_every_five_minutes_runs_straight_through_spring_forward(zone, change):
    fires = fire_times(Cron("*/5 * * * *", zone), change - timedelta(hours=2), change + timedelta(hours=2))
    assert len(fires) == 48 and len(set(fires)) == 48
    assert steps(fires) == {timedelta(minutes=5)}
    assert change in fires


def test_half_past_two_in_berlin_on_the_day_clocks_spring_forward():
    fires = fire_times(Cron("30 2 * * *", "Europe/Berlin"), utc(2026, 3, 27), utc(2026, 3, 31))
    assert fires == [
        utc(2026, 3, 27, 1, 30),  # 02:30 CET
        utc(2026, 3, 28, 1, 30),  # 02:30 CET
        utc(2026, 3, 29, 1, 30),  # 02:30 does not exist: 03:30 CEST
        utc(2026, 3, 30, 0, 30),  # 02:30 CEST
    ]


def test_half_past_two_in_new_york_on_the_day_clocks_spring_forward():
    fires = fire_times(Cron("30 2 * * *", "America/New_York"), utc(2026, 3, 7), utc(2026, 3, 10))
    assert fires == [
        utc(2026, 3, 7, 7, 30),  # 02:30 EST
        utc(2026, 3, 8, 7, 30),  # 02:30 does not exist: 03:30 EDT
        utc(2026, 3, 9, 6, 30),  # 02:30 EDT
    ]


def test_a_gap_fire_that_lands_on_another_fire_counts_once():
    # "30 * * * *": 02:30 (gap) becomes 03:30 CEST, which is also 03:30's own fire.
    fires = fire_times(Cron("30 * * * *", "Europe/Berlin"), utc(2026, 3, 29), utc(2026, 3, 29, 3))
    assert fires == [utc(2026, 3, 29, 0, 30), utc(2026, 3, 29, 1, 30), utc(2026, 3, 29, 2, 30)]
    # "0 2,3 * * *": 02:00 (gap) is the transition instant itself, 03:00 CEST.
    fires = fire_times(Cron("0 2,3 * * *", "Europe/Berlin"), utc(2026, 3, 28, 12), utc(2026, 3, 29, 12))
    assert fires == [utc(2026, 3, 29, 1)]


def test_several_fires_in_the_gap_keep_their_distance_past_the_transition():
    fires = fire_times(Cron("15,45 2 * * *", "Europe/Berlin"), utc(2026, 3, 29), utc(2026, 3, 30))
    assert fires == [utc(2026, 3, 29, 1, 15), utc(2026, 3, 29, 1, 45)]  # 03:15 and 03:45 CEST


def test_next_and_latest_around_a_gap_fire():
    schedule = Cron("30 2 * * *", "Europe/Berlin")
    assert next_fire_time(schedule, utc(2026, 3, 29, 0, 59)) == utc(2026, 3, 29, 1, 30)
    assert next_fire_time(schedule, utc(2026, 3, 29, 1, 10)) == utc(2026, 3, 29, 1, 30)  # 03:10 CEST
    assert latest_fire_time(schedule, utc(2026, 3, 29, 1, 29, 59)) == utc(2026, 3, 28, 1, 30)
    assert latest_fire_time(schedule, utc(2026, 3, 29, 1, 30)) == utc(2026, 3, 29, 1, 30)


def test_thirty_minute_gap_on_lord_howe_island():
    # 2026-10-04: 02:00 (+10:30) becomes 02:30 (+11). 02:15 does not exist: 02:45 +11.
    fires = fire_times(Cron("15 2 * * *", "Australia/Lord_Howe"), utc(2026, 10, 2, 12), utc(2026, 10, 4, 18))
    assert fires == [utc(2026, 10, 2, 15, 45), utc(2026, 10, 3, 15, 45), utc(2026, 10, 4, 15, 15)]


def test_midnight_that_does_not_exist_in_santiago():
    # 2026-09-06: 00:00 (-04) becomes 01:00 (-03). A daily midnight job still runs, at 01:00.
    fires = fire_times(Cron("@daily", "America/Santiago"), utc(2026, 9, 4, 12), utc(2026, 9, 7, 12))
    assert fires == [utc(2026, 9, 5, 4), utc(2026, 9, 6, 4), utc(2026, 9, 7, 3)]


def test_a_skipped_day_does_not_double_fire():
    # Samoa skipped 2011-12-30: 29 Dec 23:59:59 (-10) was followed by 31 Dec 00:00 (+14).
    # Noon on the 30th is read as noon on the 31st, which fires anyway: once.
    fires = fire_times(Cron("0 12 * * *", "Pacific/Apia"), utc(2011, 12, 28), utc(2012, 1, 2))
    assert fires == [utc(2011, 12, 28, 22), utc(2011, 12, 29, 22), utc(2011, 12, 30, 22), utc(2011, 12, 31, 22),
                     utc(2012, 1, 1, 22)]
