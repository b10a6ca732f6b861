"""JSON in, refusing what the database cannot store: NUL characters (PostgreSQL text and jsonb
reject them) and unpaired surrogates (not encodable as UTF-8), and nesting deeper than MAX_DEPTH
(Python's decoder raises RecursionError on a body nested about a thousand levels, which would be
a 500; anything past MAX_DEPTH is refused by the walk below). A 400 naming the problem, where
storing it would be a 500."""

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MAX_DEPTH = 64


def _check(value, depth=0):
    if depth > MAX_DEPTH:
        raise ParseError(f"JSON nested deeper than {MAX_DEPTH} levels")
    if isinstance(value, str):
        if "\x00" in value:
            raise ParseError("JSON strings must not contain NUL (\\u0000) characters")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ParseError("JSON strings must not contain unpaired surrogates") from None
    elif isinstance(value, dict):
        for key, item in value.items():
            _check(key, depth + 1)
            _check(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check(item, depth + 1)


class StrictJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(f"JSON nested deeper than {MAX_DEPTH} levels") from None
        _check(data)
        return data
