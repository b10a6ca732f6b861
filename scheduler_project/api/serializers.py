"""Serializer bases shared by the apps' APIs. Every serializer of a request body derives from
Serializer or ModelSerializer here (tests/api/test_unknown_fields_are_refused_naming_them.py
checks it), so every write refuses the same way."""

from __future__ import annotations

import copy
from collections.abc import Mapping

from rest_framework import serializers


class RefusesUnknownFields:
    """A body field the serializer does not know is a 400 naming it, not silently dropped: a
    misspelt `expires_at` (for `expiry_date`) must not create an Admin key that never expires.
    Read-only fields are known: a client may send back what it read."""

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            unknown = sorted(str(name) for name in data if name not in self.fields)
            if unknown:
                known = ", ".join(name for name, field in self.fields.items() if not field.read_only)
                raise serializers.ValidationError({name: [f"unknown field (known: {known})"] for name in unknown})
        return super().to_internal_value(data)


class Serializer(RefusesUnknownFields, serializers.Serializer):
    pass


class ModelSerializer(RefusesUnknownFields, serializers.ModelSerializer):
    """DRF's ModelSerializer, building its fields from the model once per class instead of on
    every instantiation (a list or a create makes at least one): each instance gets a deep copy,
    as DRF does for declared fields. Nothing a field is built from depends on the instance."""

    def get_fields(self):
        cls = type(self)
        built = cls.__dict__.get("_taskplane_fields")
        if built is None:
            built = super().get_fields()
            cls._taskplane_fields = built
        return copy.deepcopy(built)


def refuse_numbers_for_strings() -> None:
    """DRF's CharField (and every field built on it: regex, slug, e-mail, URL fields)
    turns a JSON number into a string (`"name": 0` becomes "0"), while the OpenAPI schema says
    "type: string": a client generated from the schema would refuse what the server takes. Every
    API field that says string takes a JSON string only; installed once, at app start
    (scheduler_project.apps)."""
    if getattr(serializers.CharField, "_taskplane_strict", False):
        return
    original = serializers.CharField.to_internal_value

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return original(self, data)

    serializers.CharField.to_internal_value = to_internal_value
    serializers.CharField._taskplane_strict = True
