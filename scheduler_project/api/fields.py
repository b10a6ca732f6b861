"""Generic typed JSON fields for serializers, so OpenAPI tells clients the shape they take."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

OBJECT = {"type": "object", "additionalProperties": True}


@extend_schema_field(OBJECT)
class ObjectField(serializers.JSONField):
    """A JSON object (params, response headers); anything else is refused here."""

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not isinstance(value, dict):
            raise serializers.ValidationError("must be an object")
        return value


@extend_schema_field({"type": "array", "items": {"type": "string"}})
class StringListField(serializers.JSONField):
    pass


@extend_schema_field({"type": "array", "items": {"type": "string", "minLength": 1}})
class NonEmptyStringListField(serializers.JSONField):
    pass
