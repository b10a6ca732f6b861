"""Pagination. Small tables (tasks, workers, keys): limit/offset with a count. Big, growing
ones (runs, dead runs, audit entries): a keyset cursor on (time, id), newest first.

The keyset cursor is what keeps a million runs fast: each page is
`WHERE t <= :t AND (t < :t OR id < :id) ORDER BY t DESC, id DESC LIMIT n + 1`, an index range
scan from the cursor on, never an OFFSET and never a COUNT(*).
"""

from __future__ import annotations

import base64
import json

from django.db.models import Q
from django.utils.dateparse import parse_datetime
from rest_framework import exceptions
from rest_framework.pagination import BasePagination, LimitOffsetPagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param


class StandardPagination(LimitOffsetPagination):
    default_limit = 50
    max_limit = 500
    max_offset = 10_000_000  # beyond any table paginated this way; keeps OFFSET inside a database integer

    def get_offset(self, request):
        offset = super().get_offset(request)
        if offset > self.max_offset:
            raise exceptions.ValidationError({"offset": [f"must be at most {self.max_offset}"]})
        return offset

    def get_schema_operation_parameters(self, view):
        # The bounds the server applies, in the schema (DRF's own parameters have none).
        return [
            {"name": self.limit_query_param, "required": False, "in": "query",
             "description": f"page size, 1 to {self.max_limit} (default {self.default_limit})",
             "schema": {"type": "integer", "minimum": 1, "maximum": self.max_limit}},
            {"name": self.offset_query_param, "required": False, "in": "query",
             "description": f"rows to skip, 0 to {self.max_offset}",
             "schema": {"type": "integer", "minimum": 0, "maximum": self.max_offset}},
        ]


class KeysetPagination(BasePagination):
    """Newest first by (time_field, id); `cursor` is opaque, `limit` 1..max_limit."""

    cursor_query_param = "cursor"
    limit_query_param = "limit"
    default_limit = 50
    max_limit = 500
    time_field = "created_at"

    def get_limit(self, request) -> int:
        raw = request.query_params.get(self.limit_query_param)
        if raw is None:
            return self.default_limit
        if not raw.isdigit() or not 1 <= int(raw) <= self.max_limit:
            raise exceptions.ValidationError({"limit": [f"must be a whole number from 1 to {self.max_limit}"]})
        return int(raw)

    def _decode(self, raw: str):
        try:
            padded = raw + "=" * (-len(raw) % 4)
            moment, pk, backwards = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
            parsed = parse_datetime(moment)
            if parsed is None or parsed.utcoffset() is None or type(pk) is not int or type(backwards) is not bool:
                raise ValueError
            if not 0 < pk < 2**63:
                raise ValueError
            return parsed, pk, backwards
        except (ValueError, TypeError, UnicodeError, json.JSONDecodeError):
            raise exceptions.ValidationError({"cursor": ["invalid cursor: use the next/previous links"]}) from None

    @staticmethod
    def _encode(moment, pk: int, backwards: bool) -> str:
        raw = json.dumps([moment.isoformat(), pk, backwards]).encode()
        return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")

    def paginate_queryset(self, queryset, request, view=None):
        tf = self.time_field
        self.request = request
        self.limit = self.get_limit(request)
        raw = request.query_params.get(self.cursor_query_param)
        cursor = self._decode(raw) if raw else None
        backwards = bool(cursor and cursor[2])
        if cursor is None:
            rows = queryset.order_by(f"-{tf}", "-id")
        elif not backwards:  # older than the cursor
            moment, pk, _ = cursor
            rows = queryset.filter(Q(**{f"{tf}__lte": moment}) & (Q(**{f"{tf}__lt": moment}) | Q(id__lt=pk)))
            rows = rows.order_by(f"-{tf}", "-id")
        else:  # newer than the cursor, walked upwards, then turned round
            moment, pk, _ = cursor
            rows = queryset.filter(Q(**{f"{tf}__gte": moment}) & (Q(**{f"{tf}__gt": moment}) | Q(id__gt=pk)))
            rows = rows.order_by(tf, "id")
        page = list(rows[: self.limit + 1])
        more = len(page) > self.limit
        page = page[: self.limit]
        if backwards:
            page.reverse()
            self.has_next, self.has_previous = True, more
        else:
            self.has_next, self.has_previous = more, cursor is not None
        self.page = page
        return page

    def _link(self, row, backwards: bool):
        url = self.request.build_absolute_uri()
        return replace_query_param(
            url, self.cursor_query_param, self._encode(getattr(row, self.time_field), row.pk, backwards)
        )

    def get_next_link(self):
        if not self.has_next or not self.page:
            return None
        return self._link(self.page[-1], False)

    def get_previous_link(self):
        if not self.has_previous:
            return None
        if not self.page:  # walked past an end: back to the first page
            return remove_query_param(self.request.build_absolute_uri(), self.cursor_query_param)
        return self._link(self.page[0], True)

    def get_paginated_response(self, data):
        return Response({"next": self.get_next_link(), "previous": self.get_previous_link(), "results": data})

    def get_paginated_response_schema(self, schema):
        link = {"type": "string", "nullable": True, "format": "uri"}
        return {
            "type": "object",
            "required": ["next", "previous", "results"],
            "properties": {"next": link, "previous": link, "results": schema},
        }

    def get_schema_operation_parameters(self, view):
        return [
            {"name": self.cursor_query_param, "required": False, "in": "query",
             "description": "opaque position from a next/previous link", "schema": {"type": "string"}},
            {"name": self.limit_query_param, "required": False, "in": "query",
             "description": f"page size, 1 to {self.max_limit} (default {self.default_limit})",
             "schema": {"type": "integer", "minimum": 1, "maximum": self.max_limit}},
        ]


class CreatedAtKeysetPagination(KeysetPagination):
    time_field = "created_at"


class AuditKeysetPagination(KeysetPagination):
    time_field = "at"


