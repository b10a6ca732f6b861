"""Keeping the configuration's secrets out of what we print and log."""

from __future__ import annotations

from urllib.parse import urlsplit


def redact_url(url: str) -> str:
    """The URL without its password (user:***@host), for messages, logs and `config validate`."""
    if not url or "://" not in url:
        return url
    parts = urlsplit(url)
    try:
        password = parts.password
    except ValueError:  # an unparsable netloc: nothing to hide that we could find
        return url
    if password:
        return parts._replace(netloc=parts.netloc.replace(f":{password}@", ":***@", 1)).geturl()
    return url
