"""Where a webhook may point: the notification side's policy for scheduler_project.outbound,
the one rule for outbound requests (HTTP tasks use it too, with `[worker] http_allow` /
`http_deny`).

A webhook URL is typed by whoever holds the Admin role, but the request is made from a control
process inside the deployment's network: without a policy a channel could read the cloud
provider's metadata service (instance credentials) at 169.254.169.254 or fd00:ec2::254.
Refused: outbound.ALWAYS_DENIED (169.254.0.0/16 and fe80::/10, link-local, where every cloud's
metadata service lives; fd00:ec2::254, AWS's IPv6 metadata; 100.100.100.200, Alibaba's) and the
well-known metadata host names; unless the address is inside one of `[notifications]
allow_networks`. Loopback and private addresses are allowed (a receiver on the same host or
network is the common case).

The URL is checked when a channel is saved (its literal address and host name), again before
every request (every address its host name resolves to then), and at connect time: the
senders' session (outbound.session) connects only to addresses it checked.
"""

from __future__ import annotations

from django.conf import settings

from scheduler_project import outbound
from scheduler_project.outbound import TargetRefused

__all__ = ["TargetRefused", "check_resolved", "check_url", "policy"]


def policy() -> outbound.Policy:
    return outbound.Policy(allow=outbound.networks(settings.TP.notifications.allow_networks),
                           allow_setting="[notifications] allow_networks")


def check_url(url: str) -> str:
    """The URL, if a webhook may be sent there; else TargetRefused saying why. No DNS lookup."""
    try:
        return outbound.check_url(url, policy())
    except TargetRefused as exc:
        if str(exc) == "no url":
            raise TargetRefused("a webhook needs a url") from None
        raise


def check_resolved(url: str) -> None:
    """Before a request: every address the host resolves to must be allowed (TargetRefused)."""
    outbound.check_resolved(url, policy())
