"""Filter fields that refuse what the database cannot take (a 400 naming the parameter, never
a 500): ids beyond a 64-bit integer, and times that overflow when converted to UTC."""

from __future__ import annotations

from datetime import UTC

import django_filters
from django import forms
from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import extend_schema_field

MAX_ID = 2**63 - 1


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_ID})  # what it accepts, in the schema too
class IdFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class _AwareDateTimeField(forms.CharField):
    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        try:
            moment = parse_datetime(value)
        except ValueError:
            moment = None
        if moment is None:
            raise forms.ValidationError("must be an ISO 8601 date and time, e.g. 2026-01-31T12:00:00Z")
        if moment.utcoffset() is None:
            moment = moment.replace(tzinfo=UTC)
        try:
            return moment.astimezone(UTC)
        except OverflowError:
            raise forms.ValidationError("out of range") from None


class _StrictBooleanField(forms.NullBooleanField):
    """true/false (or 1/0); anything else is an error, not "no filter" as django-filter's
    NullBooleanField makes of `?enabled=maybe`."""

    widget = forms.TextInput

    def to_python(self, value):
        if value in (None, ""):
            return None
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("true", "1"):
            return True
        if text in ("false", "0"):
            return False
        raise forms.ValidationError("must be true or false")

    def validate(self, value):
        pass


class BooleanFilter(django_filters.BooleanFilter):
    field_class = _StrictBooleanField


class TimeFilter(django_filters.Filter):
    """An ISO 8601 time; naive means UTC."""

    field_class = _AwareDateTimeField
