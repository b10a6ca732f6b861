"""Where a webhook may point: http or https only, never link-local or cloud metadata addresses.

A webhook URL is typed by whoever holds the Admin role, but the request is made from a control
process inside the deployment's network: without a policy a channel could read the cloud
provider's metadata service (instance credentials) at 169.254.169.254 or fd00:ec2::254.
Refused: 169.254.0.0/16 and fe80::/10 (link-local, where every cloud's metadata service
lives), fd00:ec2::254 (AWS's IPv6 metadata), 100.100.100.200 (Alibaba's), and the well-known
metadata host names; unless the address is inside one of `[notifications] allow_networks`.

The URL is checked when a channel is saved (its literal address and host name) and again
before every request (every address its host name resolves to then: a name that resolved
elsewhere when saved, or a DNS answer that changed, is caught here). What remains: a DNS
answer that changes between that check and requests' own lookup a moment later.

The worker's HTTP target policy (`[worker] http_allow` / `http_deny`, issue 15) answers the
same question for HTTP tasks; both should end up calling one `refused(host, allow, deny)` in
the infrastructure, with this module's networks as the notification side's default deny list.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings

DENIED_NETWORKS = tuple(ipaddress.ip_network(n) for n in (
    "169.254.0.0/16",      # IPv4 link-local: AWS, GCP, Azure, OpenStack metadata at 169.254.169.254
    "fe80::/10",           # IPv6 link-local
    "fd00:ec2::254/128",   # AWS metadata over IPv6
    "100.100.100.200/32",  # Alibaba Cloud metadata
))
METADATA_HOSTS = frozenset({"metadata.google.internal", "metadata.goog", "metadata", "instance-data",
                            "instance-data.ec2.internal"})
MAX_URL = 2000


class TargetRefused(ValueError):
    pass


def _allowed_networks():
    return [ipaddress.ip_network(n, strict=False) for n in settings.TP.notifications.allow_networks]


def _address(text: str):
    try:
        address = ipaddress.ip_address(text.strip("[]").split("%", 1)[0])
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)  # ::ffff:169.254.169.254 is 169.254.169.254
    return mapped or address


def refused_address(address) -> str | None:
    """Why a request to this address is refused, or None."""
    if any(address in net for net in _allowed_networks()):
        return None
    for net in DENIED_NETWORKS:
        if address.version == net.version and address in net:
            return f"{address} is a link-local or cloud metadata address ({net}); allow it in [notifications] allow_networks"
    return None


def check_url(url: str) -> str:
    """The URL, if a webhook may be sent there; else TargetRefused saying why. No DNS lookup."""
    if not isinstance(url, str) or not url:
        raise TargetRefused("a webhook needs a url")
    if len(url) > MAX_URL:
        raise TargetRefused(f"at most {MAX_URL} characters")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise TargetRefused(f"only http:// and https:// URLs, not {parts.scheme + '://' if parts.scheme else url!r}")
    host = parts.hostname
    if not host:
        raise TargetRefused("the URL has no host")
    try:
        parts.port  # noqa: B018  raises on a port that is not a number or out of range
    except ValueError as exc:
        raise TargetRefused(f"bad port: {exc}") from None
    if host.lower().rstrip(".") in METADATA_HOSTS and not settings.TP.notifications.allow_networks:
        raise TargetRefused(f"{host} is a cloud metadata service")
    address = _address(host)
    if address is not None and (reason := refused_address(address)):
        raise TargetRefused(reason)
    return url


def check_resolved(url: str) -> None:
    """Before a request: every address the host resolves to must be allowed (TargetRefused)."""
    check_url(url)
    parts = urlsplit(url)
    if _address(parts.hostname) is not None:
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80),
                                   proto=socket.IPPROTO_TCP)
    except socket.gaierror:
        return  # the request itself fails on it, and says so
    for info in infos:
        address = _address(info[4][0])
        if address is not None and (reason := refused_address(address)):
            raise TargetRefused(f"{parts.hostname} resolves to {reason}")
