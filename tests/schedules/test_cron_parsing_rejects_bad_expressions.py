"""Cron expressions outside the supported syntax are rejected with a ScheduleError that names
the field and the value; the supported syntax (numbers, ranges, steps, lists, names, 0/7 for
Sunday, macros) is accepted."""

import pytest

from tasks_app.schedules import Cron, ScheduleError, parse_schedule


def test_the_message_names_the_field_and_the_value():
    with pytest.raises(ScheduleError) as info:
        Cron("0 0 * * 8", "UTC")
    assert str(info.value) == "schedule.cron: day-of-week field '8' is out of range 0-7"


@pytest.mark.parametrize(
    "expression,fragments",
    [
        ("* * * * * *", ["6 fields", "expected 5"]),  # six fields: seconds are not supported
        ("0 0 * * * 2026", ["6 fields"]),
        ("0 * * *", ["4 fields"]),
        ("60 * * * *", ["minute field '60'", "out of range 0-59"]),
        ("* 24 * * *", ["hour field '24'", "out of range 0-23"]),
        ("* * 0 * *", ["day-of-month field '0'", "out of range 1-31"]),
        ("* * 32 * *", ["day-of-month field '32'"]),
        ("* * * 13 *", ["month field '13'", "out of range 1-12"]),
        ("* * * 0 *", ["month field '0'"]),
        ("* * * * 1-8", ["day-of-week field '1-8'", "out of range 0-7"]),
        ("0 0 ? * *", ["day-of-month field '?'"]),
        ("0 0 * * ?", ["day-of-week field '?'"]),
        ("0 0 L * *", ["day-of-month field 'L'"]),
        ("0 0 15W * *", ["day-of-month field '15W'"]),
        ("0 0 LW * *", ["day-of-month field 'LW'"]),
        ("0 0 * * 5L", ["day-of-week field '5L'"]),
        ("0 0 * * 1#2", ["day-of-week field '1#2'"]),
        ("*/0 * * * *", ["minute field '*/0'", "step 0"]),
        ("*/60 * * * *", ["minute field '*/60'"]),
        ("0 0 * * */7", ["day-of-week field '*/7'"]),
        ("5-1 * * * *", ["minute field '5-1'", "reversed"]),
        ("0 0 * * fri-mon", ["day-of-week field 'fri-mon'", "reversed"]),
        ("1,,2 * * * *", ["minute field ''"]),
        ("1, * * * *", ["minute field ''"]),
        ("-1 * * * *", ["minute field '-1'"]),
        ("1.5 * * * *", ["minute field '1.5'"]),
        ("\u0663 * * * *", ["minute field '\u0663'"]),  # an Arabic-Indic digit is not a number here
        ("mon * * * *", ["minute field 'mon'"]),  # names only in month and day-of-week
        ("0 0 * foo *", ["month field 'foo'"]),
        ("0 0 * * funday", ["day-of-week field 'funday'"]),
        ("0 0 * * monday", ["day-of-week field 'monday'"]),
        ("0 0 * january *", ["month field 'january'"]),
        ("0 0 * * 1/", ["day-of-week field '1/'"]),
        ("0 0 1-5-7 * *", ["day-of-month field '1-5-7'"]),
        ("@reboot", ["unknown macro '@reboot'"]),
        ("@midnight", ["unknown macro '@midnight'"]),
        ("@every 5m", ["unknown macro '@every 5m'"]),
        ("0 0 30 2 *", ["day-of-month field '30'", "month field '2'", "never fire"]),
        ("0 0 31 apr,jun,sep,nov *", ["never fire"]),
        ("0 0 */31 4 *", []),  # "*/31" is the 1st: fine
    ],
)
def test_bad_expression_is_rejected(expression, fragments):
    if not fragments:
        Cron(expression, "UTC")
        return
    with pytest.raises(ScheduleError) as info:
        Cron(expression, "UTC")
    message = str(info.value)
    assert message.startswith("schedule.cron: ")
    for fragment in fragments:
        assert fragment in message


@pytest.mark.parametrize("value", ["", "   ", None, 5, ["*/5", "*", "*", "*", "*"]])
def test_cron_must_be_a_non_empty_string(value):
    with pytest.raises(ScheduleError, match=r"^schedule\.cron: must be a non-empty string"):
        parse_schedule({"cron": value}, default_anchor=None)


@pytest.mark.parametrize(
    "expression,expected",
    [
        ("*/15 9-17 * * MON-FRI", dict(minutes=(0, 15, 30, 45), hours=tuple(range(9, 18)), weekdays={1, 2, 3, 4, 5})),
        ("5/20 * * * *", dict(minutes=(5, 25, 45))),
        ("10-40/15 * * * *", dict(minutes=(10, 25, 40))),
        ("0,30 */6 * * *", dict(minutes=(0, 30), hours=(0, 6, 12, 18))),
        ("0 0 * * 7", dict(weekdays={0})),
        ("0 0 * * 0", dict(weekdays={0})),
        ("0 0 * * 5-7", dict(weekdays={5, 6, 0})),
        ("0 0 * * 0-7", dict(weekdays=set(range(7)))),
        ("0 0 * * Sat,SUN", dict(weekdays={6, 0})),
        ("0 0 1 Jan,JUL,oct *", dict(months={1, 7, 10}, days={1})),
        ("0 0 1 jan-mar/2 *", dict(months={1, 3})),
        ("0 0 29 2 *", dict(days={29}, months={2})),  # leap years only, but it does fire
        ("0 0 30 2 mon", dict(days={30}, months={2}, weekdays={1})),  # OR rule: every Monday of February
        ("  0   9 * *   1-5 ", dict(minutes=(0,), hours=(9,))),
        ("*,5 * * * *", dict(minutes=tuple(range(60)))),
    ],
)
def test_supported_syntax_is_accepted(expression, expected):
    spec = Cron(expression, "UTC").spec
    for name, value in expected.items():
        assert getattr(spec, name) == value, name


@pytest.mark.parametrize(
    "macro,equivalent",
    [("@hourly", "0 * * * *"), ("@daily", "0 0 * * *"), ("@DAILY", "0 0 * * *"), ("@weekly", "0 0 * * 0"),
     ("@monthly", "0 0 1 * *"), ("@yearly", "0 0 1 1 *")],
)
def test_macros_are_accepted(macro, equivalent):
    assert Cron(macro, "UTC").spec.text == tuple(equivalent.split())


def test_whitespace_is_normalised_when_parsed_from_json():
    schedule = parse_schedule({"cron": "  0\t9  * * 1-5 "}, default_anchor=None)
    assert schedule == Cron("0 9 * * 1-5", "UTC")
