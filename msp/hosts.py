"""Servers a tenant names (its SMTP server) must be on the internet, not inside our network.

An organisation's admin types a host name and the app dials it (the worker sends its mail
there; the "Send test e-mail" button shows what the server answered). Without a check, any
admin of any tenant (signing up is self-service) could point it at a loopback, private or
link-local address (a database, the cloud's metadata service) and read back what answers.
So a tenant's server must resolve to global addresses only, unless
``TENANT_SERVERS_ALLOW_PRIVATE`` is on (the default in development; the tests' loopback
servers turn it on). Checked when the settings are saved (a literal address) and again before
every connection (a name, whose addresses may change).
"""

from __future__ import annotations

import ipaddress
import socket

from django.conf import settings
from django.utils.translation import gettext as _


class PrivateHostError(ValueError):
    """The host is, or resolves to, an address the app must not dial for a tenant."""


def _refused(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 zone index is not part of it
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def literal_host_refused(host: str) -> bool:
    """True when `host` is an IP address the app must not dial (a name is judged when dialled)."""
    if settings.TENANT_SERVERS_ALLOW_PRIVATE:
        return False
    try:
        return _refused(host.strip("[]"))
    except ValueError:
        return False  # a name


def host_check(host: str, port: int) -> None:
    """Raise PrivateHostError when `host` resolves to any address that is not global; an
    OSError (socket.gaierror) when it does not resolve, which a later attempt may get past."""
    if settings.TENANT_SERVERS_ALLOW_PRIVATE:
        return
    for *_rest, sockaddr in socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP):
        if _refused(sockaddr[0]):
            raise PrivateHostError(
                _("%(host)s is a private, loopback or link-local address: the app does not connect there.")
                % {"host": host}
            )
