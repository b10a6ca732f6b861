"""OpenAPI (drf-spectacular): the X-API-Key scheme, and the error responses every operation
can give, in the one error body, so that clients and schemathesis know them."""

from __future__ import annotations

import copy

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.permissions import AllowAny


class ErrorDetailSerializer(serializers.Serializer):
    status = serializers.IntegerField(help_text="the HTTP status, repeated")
    code = serializers.CharField(help_text="machine-readable: invalid, not_found, conflict, throttled, ...")
    message = serializers.CharField()
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), required=False,
        help_text='validation errors by dotted field path, e.g. {"spec.command": ["..."]}',
    )


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


ERRORS = {
    400: "invalid request: `fields` names each invalid field",
    401: "no credentials, or invalid, revoked or expired ones",
    403: "the caller's roles do not allow this",
    404: "no such object",
    409: "conflicts with the object's current state",
    413: "request body larger than [api.security] max_request_size_mb / max_json_payload_size_mb",
    415: "unsupported media type: send JSON",
    429: "rate limit exceeded: retry after Retry-After seconds",
    503: "a required service is unavailable",
}


def error_response(code: int) -> OpenApiResponse:
    return OpenApiResponse(ErrorSerializer, description=ERRORS[code])


class APIKeyScheme(OpenApiAuthenticationExtension):
    target_class = "accounts_app.authentication.APIKeyAuthentication"
    name = "apiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "X-API-Key",
                "description": "an API key; roles decide what it may do"}


class TaskplaneAutoSchema(AutoSchema):
    """Adds the error responses to every operation: 400, 401, 429 always; 403 unless public;
    404 with a path parameter; 413/415 with a body; and what the view lists in
    `extra_error_codes` ({action: [codes]}) such as 409 for cancel."""

    def get_tags(self) -> list[str]:
        parts = [p for p in self.path.split("/") if p]
        if parts[:2] == ["api", "v1"] and len(parts) > 2:
            return [parts[2]]
        if parts[:2] == ["api", "system"]:
            return ["system"]
        return super().get_tags()

    def _public(self) -> bool:
        return any(isinstance(p, AllowAny) for p in self.view.get_permissions())

    def _error_codes(self) -> set[int]:
        codes = {400, 401, 429}
        if not self._public():
            codes.add(403)
        if "{" in self.path:
            codes.add(404)
        if self.method in ("POST", "PUT", "PATCH"):
            codes |= {413, 415}
        action = getattr(self.view, "action", None) or self.method.lower()
        codes |= set(getattr(self.view, "extra_error_codes", {}).get(action, ()))
        return codes

    def _get_request_body(self, direction="request"):
        """A POST action's body (viewsets.action_body: every field optional) may be JSON null,
        which reads as no body: the schema says so, as drf-spectacular does for a nullable
        nested serializer (allOf with nullable). Creates and updates take an object only."""
        body = super()._get_request_body(direction)
        action = getattr(self.view, "action", None)
        if body and self.method == "POST" and action not in (None, "create"):
            for media in body.get("content", {}).values():
                if "schema" in media:
                    media["schema"] = {"allOf": [media["schema"]], "nullable": True}
        return body

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for code in sorted(self._error_codes()):
            if str(code) in responses:
                continue
            responses[str(code)] = self._get_response_for_code(error_response(code), str(code), direction=direction)
            if code == 429:
                responses["429"]["headers"] = {
                    "Retry-After": {"schema": {"type": "integer"}, "description": "seconds until a request may pass"}
                }
        return responses


NO_NUL = "^[^\\u0000]*$"  # ECMA-262 and Python alike: no U+0000 anywhere


def _no_nul(schema) -> None:
    """Recursively, every plain string of this schema gets the NUL rule as a pattern."""
    if isinstance(schema, list):
        for item in schema:
            _no_nul(item)
        return
    if not isinstance(schema, dict):
        return
    if schema.get("type") == "string" and not ({"pattern", "format", "enum"} & schema.keys()):
        schema["pattern"] = NO_NUL
    for key in ("properties",):
        for child in (schema.get(key) or {}).values():
            _no_nul(child)
    for key in ("items", "additionalProperties", "anyOf", "oneOf", "allOf", "not"):
        if key in schema:
            _no_nul(schema[key])


def no_nul_in_request_strings(result, generator, request, public):
    """drf-spectacular postprocessing hook: the NUL rule (scheduler_project/api/parsers.py refuses a
    JSON body with U+0000 in any string) on every string a request body declares, so a client
    generated from the schema refuses what the server refuses. (The keys of free-form objects
    cannot carry a pattern in OpenAPI 3.0: the API's description states the rule for them.)"""
    result = copy.deepcopy(result)  # field schemas are module constants shared with responses
    for name, schema in (result.get("components", {}).get("schemas") or {}).items():
        if name.endswith("Request"):
            _no_nul(schema)
    for operations in (result.get("paths") or {}).values():
        for operation in operations.values():
            if isinstance(operation, dict) and "requestBody" in operation:
                for media in operation["requestBody"].get("content", {}).values():
                    if "$ref" not in media.get("schema", {}):
                        _no_nul(media.get("schema"))
    return result
