"""Durations as operators write them: 30d, 12h, 90m, 45s, 2w."""

import re
from datetime import UTC, datetime, timedelta

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


def parse_cutoff(text: str, now: datetime) -> datetime:
    """An age ('30d': that long before `now`) or a moment (ISO 8601 with an offset): the cutoff
    of a purge or a cleanup. ValueError names what is wrong."""
    try:
        return now - parse_duration(text)
    except ValueError:
        pass
    except OverflowError:
        raise ValueError(f"{text!r} is out of range") from None
    try:
        moment = datetime.fromisoformat(str(text).strip())
    except ValueError:
        moment = None
    if moment is None or moment.utcoffset() is None:
        raise ValueError(f'{text!r} is neither a duration (30d, 12h, 90m, 3600s, 2w) nor an ISO 8601 time with an offset')
    # In UTC: PostgreSQL refuses offsets beyond 15:59 that Python takes (up to 23:59), a 500
    # if the moment reached a query as written.
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"{text!r} is out of range") from None
