"""Where a webhook may be sent: only to public addresses, checked when a URL is
registered and again at every delivery, and a delivery connects to the address it
checked (no second lookup a DNS rebinding could answer differently), follows no
redirect, and ends at a total deadline whatever the server does.

Refused: loopback, private (RFC 1918), link-local (169.254/16, fe80::/10, among them the
cloud metadata address 169.254.169.254), unique-local (fc00::/7), CGNAT (100.64/10,
among them 100.100.100.200), multicast, reserved and unspecified addresses, and IPv6
forms of any of them (IPv4-mapped, 6to4, NAT64 are all non-global). Settings may allow
extra networks (``DispatchSettings.webhook_allow_networks``, empty by default: for a
test receiver on loopback only).
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import socket
import ssl
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from rescue.errors import RefusedWebhookUrl

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolve = Callable[..., list[tuple[Any, ...]]]

# User-facing messages of this module: keys of the server catalogues (i18n/messages).
MESSAGES = {
    "scheme": "errors.webhooks.scheme",
    "host": "errors.webhooks.host",
    "resolve": "errors.webhooks.resolve",
    "refused": "errors.webhooks.refused",
}


@dataclass(frozen=True)
class Target:
    """A checked webhook URL: where to connect (a checked address) and what to ask for."""

    scheme: str
    host: str
    port: int
    path: str
    addresses: tuple[str, ...]

    @property
    def host_header(self) -> str:
        default = 443 if self.scheme == "https" else 80
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == default else f"{host}:{self.port}"


def allowed_networks(specs: Sequence[str]) -> tuple[IpNetwork, ...]:
    return tuple(ipaddress.ip_network(spec, strict=False) for spec in specs)


def is_public(address: IpAddress, allow: Sequence[IpNetwork] = ()) -> bool:
    """Whether a webhook may be sent to this address."""
    if any(address.version == net.version and address in net for net in allow):
        return True
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return is_public(address.ipv4_mapped, allow)
    return address.is_global and not address.is_multicast


def check_url(url: str, allow: Sequence[IpNetwork] = (), resolve: Resolve | None = None) -> Target:
    """The URL's target with its checked addresses; :class:`RefusedWebhookUrl` when it
    is not http(s), does not resolve, or any address it resolves to is not public."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise RefusedWebhookUrl(MESSAGES["scheme"])
    host = parts.hostname
    if not host:
        raise RefusedWebhookUrl(MESSAGES["host"])
    try:
        port = parts.port or (443 if scheme == "https" else 80)
        found = (resolve or socket.getaddrinfo)(host, port, type=socket.SOCK_STREAM)
    except (OSError, ValueError, UnicodeError):
        raise RefusedWebhookUrl(MESSAGES["resolve"], host=host) from None
    addresses: list[str] = []
    for *_, sockaddr in found:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if not is_public(address, allow):
            raise RefusedWebhookUrl(MESSAGES["refused"], host=host, address=str(address))
        if str(address) not in addresses:
            addresses.append(str(address))
    if not addresses:
        raise RefusedWebhookUrl(MESSAGES["resolve"], host=host)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(scheme, host, port, path, tuple(addresses))


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to a checked address, whatever the host name resolves to now."""

    def __init__(self, address: str, port: int, timeout: float) -> None:
        super().__init__(address, port, timeout=timeout)
        self.opened: socket.socket | None = None

    def connect(self) -> None:
        super().connect()
        self.opened = self.sock


class _PinnedHTTPSConnection(_PinnedHTTPConnection):
    """TLS to a checked address, with the certificate verified for the URL's host."""

    def __init__(self, address: str, port: int, timeout: float, server_name: str) -> None:
        super().__init__(address, port, timeout)
        self.server_name = server_name
        self.context = ssl.create_default_context()

    def connect(self) -> None:
        raw = socket.create_connection((self.host, self.port), self.timeout)
        self.opened = raw
        self.sock = self.context.wrap_socket(raw, server_hostname=self.server_name)


def _cut(conn: _PinnedHTTPConnection, fired: threading.Event) -> None:
    """At the deadline: shut the socket so that a blocked read returns at once."""
    fired.set()
    sock = conn.opened
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def post_to(target: Target, body: bytes, headers: dict[str, str], deadline_s: float) -> int:
    """POST to the target's first checked address; its HTTP status (a redirect is just a
    3xx status: never followed). Raises OSError / HTTPException on failure, TimeoutError
    when the whole exchange does not end within ``deadline_s``."""
    address = target.addresses[0]
    conn: _PinnedHTTPConnection
    if target.scheme == "https":
        conn = _PinnedHTTPSConnection(address, target.port, deadline_s, target.host)
    else:
        conn = _PinnedHTTPConnection(address, target.port, deadline_s)
    fired = threading.Event()
    timer = threading.Timer(deadline_s, _cut, args=(conn, fired))
    timer.daemon = True
    timer.start()
    try:
        conn.request("POST", target.path, body, {**headers, "Host": target.host_header})
        status = conn.getresponse().status
    except (OSError, http.client.HTTPException) as exc:
        if fired.is_set():
            raise TimeoutError(f"no answer within the {deadline_s:g} s deadline") from exc
        raise
    finally:
        timer.cancel()
        conn.close()
    return int(status)
