"""Serializer bases shared by the apps' APIs."""

from __future__ import annotations

import copy

from rest_framework import serializers


class ModelSerializer(serializers.ModelSerializer):
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
