"""celery_beat_fields() gives django-celery-beat rows: crontab fields in celery's own syntax
(weekdays 0-6, numbers instead of names, no "a/n"), which django-celery-beat's validators and
celery's parser accept with the same value sets, and which parse back to the same schedule."""

import random
from datetime import UTC, datetime

import pytest
from celery.schedules import crontab
from django_celery_beat import validators
from django_celery_beat.models import ClockedSchedule, CrontabSchedule, IntervalSchedule

from tasks_app.schedules import Cron, Interval, OneOff, celery_beat_fields

from .test_cron_matches_brute_force_reference import never_fires, random_expression

UTC = UTC
CRON_KEYS = ("minute", "hour", "day_of_month", "month_of_year", "day_of_week")


def test_crontab_row():
    assert celery_beat_fields(Cron("*/5 * * * *", "Europe/Berlin")) == {
        "kind": "crontab", "minute": "*/5", "hour": "*", "day_of_month": "*", "month_of_year": "*",
        "day_of_week": "*", "timezone": "Europe/Berlin",
    }


@pytest.mark.parametrize(
    "expression,expected",
    [
        ("0 9 * * mon-fri", ("0", "9", "*", "*", "1-5")),
        ("0 0 1 jan,JUL *", ("0", "0", "1", "1,7", "*")),
        ("0 0 * * 7", ("0", "0", "*", "*", "0")),
        ("0 0 * * 0-7", ("0", "0", "*", "*", "0-6")),
        ("0 0 * * 5-7", ("0", "0", "*", "*", "0,5-6")),
        ("0 0 * * sat,7", ("0", "0", "*", "*", "6,0")),
        ("0 0 * * 1-7/2", ("0", "0", "*", "*", "0-1,3,5")),
        ("5/15 */4 * * *", ("5-59/15", "*/4", "*", "*", "*")),
        ("0 0 1/10 feb-dec/3 *", ("0", "0", "1-31/10", "2-12/3", "*")),
        ("@daily", ("0", "0", "*", "*", "*")),
        ("@weekly", ("0", "0", "*", "*", "0")),
        ("@yearly", ("0", "0", "1", "1", "*")),
        ("0 0 13 * fri", ("0", "0", "13", "*", "5")),
    ],
)
def test_cron_fields_are_normalised_for_celery(expression, expected):
    fields = celery_beat_fields(Cron(expression, "UTC"))
    assert tuple(fields[k] for k in CRON_KEYS) == expected


def test_interval_row():
    assert celery_beat_fields(Interval(10, datetime(2026, 1, 1, tzinfo=UTC))) == {
        "kind": "interval", "every": 10, "period": "seconds",
    }


def test_clocked_row():
    at = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert celery_beat_fields(OneOff(at)) == {"kind": "clocked", "clocked_time": at}


@pytest.mark.parametrize(
    "schedule",
    [Cron("0 9 * * mon-fri", "Europe/Berlin"), Interval(10, datetime(2026, 1, 1, tzinfo=UTC)),
     OneOff(datetime(2026, 3, 29, 1, 30, tzinfo=UTC))],
)
def test_the_models_accept_the_fields(schedule):
    fields = celery_beat_fields(schedule)
    model = {"crontab": CrontabSchedule, "interval": IntervalSchedule, "clocked": ClockedSchedule}[fields.pop("kind")]
    model(**fields).clean_fields()  # no database needed


def test_random_expressions_mean_the_same_to_celery_and_parse_back_unchanged():
    rng = random.Random(20260329)
    checked = 0
    while checked < 300:
        text, meaning = random_expression(rng)
        if never_fires(meaning):
            continue
        checked += 1
        schedule = Cron(text, "America/New_York")
        fields = celery_beat_fields(schedule)
        for key, validate in zip(CRON_KEYS, (validators.minute_validator, validators.hour_validator,
                                             validators.day_of_month_validator, validators.month_of_year_validator,
                                             validators.day_of_week_validator)):
            validate(fields[key])
        celery = crontab(**{k: fields[k] for k in CRON_KEYS})
        spec = schedule.spec
        assert celery.minute == set(spec.minutes), text
        assert celery.hour == set(spec.hours), text
        assert celery.day_of_month == spec.days, text
        assert celery.month_of_year == spec.months, text
        assert celery.day_of_week == spec.weekdays, text
        # Joined back into an expression (as a row edited in the admin is), it is the same schedule.
        back = Cron(" ".join(fields[k] for k in CRON_KEYS), fields["timezone"]).spec
        for attribute in ("minutes", "hours", "days", "months", "weekdays", "day_or", "every_hour"):
            assert getattr(back, attribute) == getattr(spec, attribute), (text, attribute)
