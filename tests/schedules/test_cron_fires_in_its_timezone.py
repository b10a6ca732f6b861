"""A cron expression is evaluated on the wall clock of its time zone (UTC by default): office
hours follow the local clock across DST, day-of-month/day-of-week follow the Vixie OR rule,
and names, 7-for-Sunday and macros mean what they say."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tasks_app.schedules import Cron, fire_times, latest_fire_time, next_fire_time, next_fire_times, parse_schedule

UTC = UTC


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def week(schedule, monday):
    return fire_times(schedule, monday - timedelta(seconds=1), monday + timedelta(days=7) - timedelta(seconds=1))


def test_weekday_nine_in_berlin_is_eight_utc_in_winter_and_seven_in_summer():
    schedule = Cron("0 9 * * 1-5", "Europe/Berlin")
    assert week(schedule, utc(2026, 3, 23)) == [utc(2026, 3, d, 8) for d in range(23, 28)]  # CET
    summer = [utc(2026, 3, 30, 7), utc(2026, 3, 31, 7)] + [utc(2026, 4, d, 7) for d in range(1, 4)]
    assert week(schedule, utc(2026, 3, 30)) == summer  # CEST
    assert week(schedule, utc(2026, 10, 26)) == [utc(2026, 10, d, 8) for d in range(26, 31)]  # CET again


def test_weekday_nine_in_new_york_follows_eastern_time():
    schedule = Cron("0 9 * * 1-5", "America/New_York")
    assert week(schedule, utc(2026, 3, 2)) == [utc(2026, 3, d, 14) for d in range(2, 7)]  # EST
    assert week(schedule, utc(2026, 3, 9)) == [utc(2026, 3, d, 13) for d in range(9, 14)]  # EDT


def test_the_time_zone_defaults_to_utc():
    schedule = parse_schedule({"cron": "0 9 * * *"}, default_anchor=utc(2026, 1, 1))
    assert schedule.timezone == "UTC"
    assert next_fire_times(schedule, utc(2026, 7, 1), 2) == [utc(2026, 7, 1, 9), utc(2026, 7, 2, 9)]


def test_half_hour_zones():
    assert next_fire_time(Cron("0 9 * * *", "Asia/Kolkata"), utc(2026, 1, 1)) == utc(2026, 1, 1, 3, 30)
    assert next_fire_time(Cron("0 9 * * *", "Asia/Kathmandu"), utc(2026, 1, 1)) == utc(2026, 1, 1, 3, 15)


def test_day_of_month_or_day_of_week_when_both_are_restricted():
    # March 2026: the 1st is a Sunday; Mondays are the 2nd, 9th, 16th, 23rd and 30th.
    fires = fire_times(Cron("0 0 1 * mon", "UTC"), utc(2026, 2, 28), utc(2026, 3, 31))
    assert [t.day for t in fires] == [1, 2, 9, 16, 23, 30]
    fires = fire_times(Cron("0 0 13 * fri", "UTC"), utc(2026, 3, 1), utc(2026, 3, 31))
    assert [t.day for t in fires] == [6, 13, 20, 27]  # Fridays, and the 13th (a Friday too: once)
    fires = fire_times(Cron("0 0 10,20 * sun", "UTC"), utc(2026, 3, 1), utc(2026, 3, 31))
    assert [t.day for t in fires] == [8, 10, 15, 20, 22, 29]


def test_day_of_month_and_day_of_week_when_one_starts_with_a_star():
    # Vixie cron: a field starting with "*" is unrestricted for the OR rule, so both must match.
    fires = fire_times(Cron("0 0 */2 * mon", "UTC"), utc(2026, 3, 1), utc(2026, 3, 31))
    assert [t.day for t in fires] == [9, 23]  # odd-numbered Mondays
    fires = fire_times(Cron("0 0 1-7 * *", "UTC"), utc(2026, 3, 1), utc(2026, 3, 31))
    assert [t.day for t in fires] == [2, 3, 4, 5, 6, 7]  # after 1 March 00:00 itself
    fires = fire_times(Cron("0 0 * * mon", "UTC"), utc(2026, 3, 1), utc(2026, 3, 31))
    assert [t.day for t in fires] == [2, 9, 16, 23, 30]


def test_month_and_day_names_case_insensitive():
    by_name = Cron("0 12 * Jan,JUL sun", "Europe/Berlin")
    by_number = Cron("0 12 * 1,7 0", "Europe/Berlin")
    start, end = utc(2026, 1, 1), utc(2027, 1, 1)
    fires = fire_times(by_name, start, end)
    assert fires == fire_times(by_number, start, end)
    assert {t.month for t in fires} == {1, 7}
    assert all(t.weekday() == 6 for t in fires) and len(fires) == 4 + 4
    assert fire_times(Cron("0 0 * * 7", "UTC"), start, end) == fire_times(Cron("0 0 * * sun", "UTC"), start, end)


def test_macros_in_berlin():
    after = utc(2026, 1, 14, 12)  # a Wednesday, CET
    assert next_fire_time(Cron("@hourly", "Europe/Berlin"), after) == utc(2026, 1, 14, 13)
    assert next_fire_time(Cron("@daily", "Europe/Berlin"), after) == utc(2026, 1, 14, 23)  # local midnight
    assert next_fire_time(Cron("@weekly", "Europe/Berlin"), after) == utc(2026, 1, 17, 23)  # Sunday 00:00
    assert next_fire_time(Cron("@monthly", "Europe/Berlin"), after) == utc(2026, 1, 31, 23)
    assert next_fire_time(Cron("@yearly", "Europe/Berlin"), after) == utc(2026, 12, 31, 23)
    summer = next_fire_times(Cron("@daily", "Europe/Berlin"), utc(2026, 7, 1), 2)
    assert summer == [utc(2026, 7, 1, 22), utc(2026, 7, 2, 22)]


@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin", "America/New_York"])
def test_leap_day_schedule_fires_every_four_years(zone):
    schedule = Cron("0 0 29 2 *", zone)
    fires = next_fire_times(schedule, utc(2026, 1, 1), 3)
    local_dates = [t.astimezone(ZoneInfo(zone)).date().isoformat() for t in fires]
    assert local_dates == ["2028-02-29", "2032-02-29", "2036-02-29"]
    assert latest_fire_time(schedule, utc(2026, 1, 1)) == fires[0].replace(year=2024)
    # 2100 is not a leap year: from 2096 to 2104.
    assert next_fire_time(schedule, utc(2096, 3, 1)).year == 2104
