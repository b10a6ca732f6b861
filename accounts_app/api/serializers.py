from rest_framework import serializers
from rest_framework_simplejwt.serializers import TokenObtainPairSerializer, TokenRefreshSerializer

from accounts_app.models import ROLES, APIKey
from scheduler_project.api.serializers import ModelSerializer, RefusesUnknownFields, Serializer


class APIKeySerializer(ModelSerializer):
    """A key as listed: never its secret, nor its hash."""

    name = serializers.CharField(max_length=50)
    roles = serializers.ListField(child=serializers.ChoiceField(choices=ROLES), min_length=1, max_length=len(ROLES))
    has_expired = serializers.BooleanField(read_only=True)

    class Meta:
        model = APIKey
        fields = ["prefix", "name", "roles", "source", "created", "created_by", "expiry_date", "has_expired",
                  "last_used_at", "revoked", "revoked_at", "revoked_by"]
        read_only_fields = ["prefix", "source", "created", "created_by", "has_expired", "last_used_at", "revoked",
                            "revoked_at", "revoked_by"]


class CreatedAPIKeySerializer(APIKeySerializer):
    key = serializers.CharField(read_only=True, help_text="the key itself: shown in this response only, never again")

    class Meta(APIKeySerializer.Meta):
        fields = [*APIKeySerializer.Meta.fields, "key"]
        read_only_fields = [*APIKeySerializer.Meta.read_only_fields, "key"]


class WhoAmISerializer(Serializer):
    principal = serializers.CharField(help_text="key:<name>, user:<username> or anonymous")
    kind = serializers.ChoiceField(choices=["key", "user", "anonymous"])
    roles = serializers.ListField(child=serializers.CharField())
    auth_disabled = serializers.BooleanField()


class TokenObtainSerializer(RefusesUnknownFields, TokenObtainPairSerializer):
    """simplejwt's, refusing unknown fields as every other body does."""


class TokenRefreshBodySerializer(RefusesUnknownFields, TokenRefreshSerializer):
    """simplejwt's, refusing unknown fields as every other body does."""
