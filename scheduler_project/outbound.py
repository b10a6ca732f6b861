"""Where an outbound HTTP request of ours may connect: the one rule for HTTP tasks (the worker,
`[worker] http_allow` / `http_deny`) and webhooks (notifications, `[notifications]
allow_networks`). Each side builds a Policy from its configuration; this module decides.

Why: the request is made from inside the deployment's network, on behalf of whoever may write a
task or a channel. Without a rule, an HTTP task could read the cloud provider's metadata service
(instance credentials) at 169.254.169.254 or talk to the database and Redis on the worker's own
host at 127.0.0.1.

The rule, for one IP address: inside an `allow` network -> allowed (allow wins); else inside a
network of ALWAYS_DENIED (link-local and cloud metadata) or of the policy's `deny` -> refused;
else allowed. The well-known metadata host names are refused by name too (unless the policy
allows any network), whatever they resolve to.

Where it is enforced: `session(policy)` gives a requests Session whose connections resolve the
host name themselves, check every address it resolves to, and connect only to the addresses
they checked. So the check happens at connect time, after DNS resolution (no second lookup
that could answer differently), and for every hop of a redirect (each hop opens its own
connection through the same session). Through an HTTP proxy (HTTP(S)_PROXY) the connection is
to the proxy, which is what gets checked; `check_url` still refuses literal addresses and
metadata names in the URL itself.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

ALWAYS_DENIED = tuple(ipaddress.ip_network(n) for n in (
    "169.254.0.0/16",      # IPv4 link-local: AWS, GCP, Azure, OpenStack metadata at 169.254.169.254
    "fe80::/10",           # IPv6 link-local
    "fd00:ec2::254/128",   # AWS metadata over IPv6
    "100.100.100.200/32",  # Alibaba Cloud metadata
))
# The worker's default `http_deny`: the worker host itself (its database, Redis, broker...).
# 0.0.0.0 and :: reach the local host too when connected to.
LOOPBACK = ("127.0.0.0/8", "::1/128", "0.0.0.0/8", "::/128")
METADATA_HOSTS = frozenset({"metadata.google.internal", "metadata.goog", "metadata", "instance-data",
                            "instance-data.ec2.internal"})
MAX_URL = 2000


class TargetRefused(ValueError):
    """A request the policy does not allow; the message says why and which setting allows it."""


def networks(items) -> tuple:
    return tuple(ipaddress.ip_network(n, strict=False) for n in items)


def as_address(text: str):
    """An IP address from a host or a socket address; None for a host name."""
    try:
        address = ipaddress.ip_address(str(text).strip("[]").split("%", 1)[0])
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)  # ::ffff:169.254.169.254 is 169.254.169.254
    return mapped or address


@dataclass(frozen=True)
class Policy:
    allow: tuple = ()
    deny: tuple = ()
    allow_setting: str = ""  # where an operator allows a refused address, for the message
    deny_setting: str = ""

    def refused(self, address) -> str | None:
        """Why a connection to this address is refused, or None."""
        if isinstance(address, str):
            address = as_address(address)
        if any(address.version == net.version and address in net for net in self.allow):
            return None
        for net in ALWAYS_DENIED:
            if address.version == net.version and address in net:
                return f"{address} is a link-local or cloud metadata address ({net}){self._hint()}"
        for net in self.deny:
            if address.version == net.version and address in net:
                where = f", denied by {self.deny_setting}" if self.deny_setting else ""
                return f"{address} is in {net}{where}{self._hint()}"
        return None

    def _hint(self) -> str:
        return f"; allow it in {self.allow_setting}" if self.allow_setting else ""

    def check_host(self, host: str) -> None:
        """A host as written in a URL (no DNS): metadata names and refused literal addresses."""
        if host.lower().rstrip(".") in METADATA_HOSTS and not self.allow:
            raise TargetRefused(f"{host} is a cloud metadata service")
        address = as_address(host)
        if address is not None and (reason := self.refused(address)):
            raise TargetRefused(reason)

    def resolve(self, host: str, port: int) -> list[tuple]:
        """Every (family, sockaddr) the host resolves to, if all of them are allowed; else
        TargetRefused (one refused address refuses the host: a name must not be a way round)."""
        self.check_host(host)
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        for *_, sockaddr in infos:
            reason = self.refused(as_address(sockaddr[0]))
            if reason:
                raise TargetRefused(reason if as_address(host) is not None else f"{host} resolves to {reason}")
        return [(family, sockaddr) for family, _, _, _, sockaddr in infos]


def check_url(url: str, policy: Policy) -> str:
    """The URL, if a request may be sent there as far as the URL shows; else TargetRefused. No DNS."""
    if not isinstance(url, str) or not url:
        raise TargetRefused("no url")
    if len(url) > MAX_URL:
        raise TargetRefused(f"at most {MAX_URL} characters")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise TargetRefused(f"only http:// and https:// URLs, not {parts.scheme + '://' if parts.scheme else url!r}")
    if not parts.hostname:
        raise TargetRefused("the URL has no host")
    try:
        parts.port  # noqa: B018  raises on a port that is not a number or out of range
    except ValueError as exc:
        raise TargetRefused(f"bad port: {exc}") from None
    policy.check_host(parts.hostname)
    return url


def check_resolved(url: str, policy: Policy) -> None:
    """Every address the URL's host resolves to now must be allowed (TargetRefused). A name that
    does not resolve passes: the request itself fails on it, and says so."""
    check_url(url, policy)
    parts = urlsplit(url)
    try:
        policy.resolve(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
    except socket.gaierror:
        return


# ----- enforcement at connect time (requests / urllib3)


def _guarded(connection_class, policy: Policy):
    class Guarded(connection_class):
        def _new_conn(self):
            # Resolve once, check, and connect to exactly the addresses checked: urllib3 would
            # otherwise resolve again, and a DNS answer may change in between.
            try:
                targets = policy.resolve(self._dns_host, self.port)
            except socket.gaierror as exc:
                from urllib3.exceptions import NameResolutionError

                raise NameResolutionError(self.host, self, exc) from exc
            name, last = self._dns_host, None
            for _, sockaddr in targets:
                self._dns_host = sockaddr[0]
                try:
                    return super()._new_conn()
                except OSError as exc:  # NewConnectionError, ConnectTimeoutError: try the next
                    last = exc
                finally:
                    self._dns_host = name
            raise last

    Guarded.__name__ = f"Guarded{connection_class.__name__}"
    return Guarded


def session(policy: Policy):
    """A requests Session that connects only where the policy allows (TargetRefused otherwise,
    raised from the request call, redirects included)."""
    import requests
    from requests.adapters import HTTPAdapter
    from urllib3.connection import HTTPConnection, HTTPSConnection
    from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

    class Pool(HTTPConnectionPool):
        ConnectionCls = _guarded(HTTPConnection, policy)

    class TlsPool(HTTPSConnectionPool):
        ConnectionCls = _guarded(HTTPSConnection, policy)

    class Adapter(HTTPAdapter):
        def init_poolmanager(self, *args, **kwargs):
            super().init_poolmanager(*args, **kwargs)
            self.poolmanager.pool_classes_by_scheme = {"http": Pool, "https": TlsPool}

    s = requests.Session()
    s.mount("http://", Adapter())
    s.mount("https://", Adapter())
    return s
