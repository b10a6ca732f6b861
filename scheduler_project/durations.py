"""Durations as operators write them: 30d, 12h, 90m, 45s, 2w."""

import re
from datetime import timedelta

UNITS = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes", "s": "seconds"}
DURATION_RE = re.compile(r"^\s*(\d+)\s*([wdhms])\s*$", re.IGNORECASE)


def parse_duration(text: str) -> timedelta:
    """'30d' -> 30 days. A bare number is refused: 30 days or 30 minutes is not a guess to make."""
    match = DURATION_RE.match(str(text))
    if not match:
        raise ValueError(f"{text!r} is not a duration: use a number and a unit, e.g. 30d, 12h, 90m, 45s or 2w")
    amount, unit = int(match.group(1)), match.group(2).lower()
    if amount <= 0:
        raise ValueError(f"{text!r} must be more than zero")
    return timedelta(**{UNITS[unit]: amount})
