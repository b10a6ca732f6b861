"""parse_schedule() and to_json() round-trip, and invalid schedule JSON is rejected with a
ScheduleError naming the field."""

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from tasks_app.schedules import Cron, Interval, OneOff, ScheduleError, parse_schedule, to_json

UTC = UTC
CREATED = datetime(2026, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)


@pytest.mark.parametrize(
    "data,expected_json",
    [
        ({"cron": "*/5 * * * *", "timezone": "Europe/Berlin"}, {"cron": "*/5 * * * *", "timezone": "Europe/Berlin"}),
        ({"cron": "0 9 * * MON-FRI"}, {"cron": "0 9 * * MON-FRI", "timezone": "UTC"}),
        ({"cron": "@daily", "timezone": "America/New_York"}, {"cron": "@daily", "timezone": "America/New_York"}),
        ({"interval_seconds": 10}, {"interval_seconds": 10, "anchor": "2026-05-01T12:00:00.123456Z"}),
        ({"interval_seconds": 3600, "anchor": "2026-01-01T01:00:00+01:00"},
         {"interval_seconds": 3600, "anchor": "2026-01-01T00:00:00Z"}),
        ({"at": "2026-03-29T02:30:00+01:00"}, {"at": "2026-03-29T01:30:00Z"}),
        ({"at": "2026-03-29T01:30:00Z"}, {"at": "2026-03-29T01:30:00Z"}),
    ],
)
def test_round_trip(data, expected_json):
    schedule = parse_schedule(data, default_anchor=CREATED)
    assert to_json(schedule) == expected_json
    assert json.loads(json.dumps(to_json(schedule))) == expected_json
    assert parse_schedule(to_json(schedule), default_anchor=CREATED + timedelta(days=9)) == schedule


@pytest.mark.parametrize("data", [None, {}])
def test_no_schedule(data):
    assert parse_schedule(data, default_anchor=CREATED) is None
    assert to_json(None) is None


def test_parsed_times_are_aware_utc():
    assert parse_schedule({"at": "2026-03-29T02:30:00+01:00"}, default_anchor=CREATED).at.tzinfo is UTC
    local_anchor = CREATED.astimezone(timezone(timedelta(hours=5)))
    assert parse_schedule({"interval_seconds": 5}, default_anchor=local_anchor).anchor.tzinfo is UTC


def test_unknown_time_zone():
    with pytest.raises(ScheduleError) as info:
        parse_schedule({"cron": "* * * * *", "timezone": "Mars/Base"}, default_anchor=CREATED)
    assert str(info.value) == "schedule.timezone: unknown time zone 'Mars/Base'"


@pytest.mark.parametrize(
    "data,fragments",
    [
        ({"cron": "* * * * *", "timezone": "europe/berlin"}, ["schedule.timezone: unknown time zone 'europe/berlin'"]),
        ({"cron": "* * * * *", "timezone": "localtime"}, ["schedule.timezone: unknown time zone"]),
        ({"cron": "* * * * *", "timezone": "../../etc/passwd"}, ["schedule.timezone: unknown time zone"]),
        ({"cron": "* * * * *", "timezone": "+02:00"}, ["schedule.timezone: unknown time zone"]),
        ({"cron": "* * * * *", "timezone": 2}, ["schedule.timezone: must be an IANA time zone name"]),
        ({"cron": "0 0 * * 8"}, ["schedule.cron: day-of-week field '8' is out of range 0-7"]),
        ({"at": "2026-03-29T02:30:00"}, ["schedule.at:", "no UTC offset"]),
        ({"at": "2026-03-29"}, ["schedule.at:", "no UTC offset"]),
        ({"at": "tomorrow"}, ["schedule.at: 'tomorrow' is not an ISO 8601"]),
        ({"at": 1774747800}, ["schedule.at: must be an ISO 8601"]),
        ({"at": None}, ["schedule.at: must be an ISO 8601"]),
        ({"interval_seconds": 10, "anchor": "2026-01-01T00:00:00"}, ["schedule.anchor:", "no UTC offset"]),
        ({"interval_seconds": 0}, ["schedule.interval_seconds:", "got 0"]),
        ({"interval_seconds": -5}, ["schedule.interval_seconds:"]),
        ({"interval_seconds": True}, ["schedule.interval_seconds:", "got True"]),
        ({"interval_seconds": 10.0}, ["schedule.interval_seconds:"]),
        ({"interval_seconds": "10"}, ["schedule.interval_seconds:"]),
        ({"interval_seconds": 366 * 86400 + 1}, ["schedule.interval_seconds:", "366 days"]),
        ({"cron": "* * * * *", "at": "2026-01-01T00:00:00Z"}, ["schedule: needs exactly one of", "cron, at"]),
        ({"timezone": "UTC"}, ["schedule: needs exactly one of"]),
        ({"every": 10}, ["schedule: needs exactly one of"]),
        ({"cron": "* * * * *", "tz": "UTC"}, ["schedule.tz: unknown field"]),
        ({"interval_seconds": 10, "timezone": "UTC"}, ["schedule.timezone: unknown field for a interval_seconds"]),
        ({"at": "2026-01-01T00:00:00Z", "anchor": "2026-01-01T00:00:00Z"}, ["schedule.anchor: unknown field"]),
        ("*/5 * * * *", ["schedule: must be an object"]),
        ([], ["schedule: must be an object"]),
    ],
)
def test_invalid_schedules_are_rejected(data, fragments):
    with pytest.raises(ScheduleError) as info:
        parse_schedule(data, default_anchor=CREATED)
    for fragment in fragments:
        assert fragment in str(info.value)


def test_the_longest_interval_is_366_days():
    assert parse_schedule({"interval_seconds": 366 * 86400}, default_anchor=CREATED).seconds == 366 * 86400


def test_default_anchor_must_be_aware():
    with pytest.raises(ValueError, match="default_anchor"):
        parse_schedule({"interval_seconds": 10}, default_anchor=datetime(2026, 1, 1))


def test_dataclasses_validate_too():
    with pytest.raises(ScheduleError, match="schedule.timezone"):
        Cron("* * * * *", "Mars/Base")
    with pytest.raises(ScheduleError, match="schedule.cron"):
        Cron("* * *", "UTC")
    with pytest.raises(ScheduleError, match="schedule.anchor"):
        Interval(10, datetime(2026, 1, 1))
    with pytest.raises(ScheduleError, match="schedule.at"):
        OneOff(datetime(2026, 1, 1))
    assert {Cron("0 9 * * *", "UTC"), Cron("0 9 * * *", "UTC")} == {Cron("0 9 * * *", "UTC")}  # hashable, by value
