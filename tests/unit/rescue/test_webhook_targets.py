"""Which webhook addresses are refused (no network: resolution is faked)."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from rescue.errors import RefusedWebhookUrl
from rescue.webhook_targets import allowed_networks, check_url


def resolving(*addresses: str) -> Any:
    def fake(host: str, port: int, **_: Any) -> list[tuple[Any, ...]]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in addresses]

    return fake


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1", "127.8.8.8", "10.0.0.1", "172.16.3.4", "192.168.1.1", "169.254.169.254",
        "100.64.0.1", "100.100.100.200", "0.0.0.0", "224.0.0.1", "255.255.255.255", "::1",
        "fe80::1", "fd00::1", "fc00::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::",
    ],
)  # fmt: skip
def test_internal_addresses_are_refused(address: str) -> None:
    with pytest.raises(RefusedWebhookUrl):
        check_url("https://hooks.example.com/x", resolve=resolving(address))


def test_one_internal_address_among_public_ones_is_enough_to_refuse() -> None:
    with pytest.raises(RefusedWebhookUrl):
        check_url("https://h.example.com/", resolve=resolving("93.184.215.14", "10.0.0.1"))


def test_a_public_address_is_the_target() -> None:
    target = check_url(
        "https://h.example.com:8443/in?x=1", resolve=resolving("93.184.215.14", "93.184.215.14")
    )
    assert target.addresses == ("93.184.215.14",)
    assert (target.port, target.path, target.host_header) == (8443, "/in?x=1", "h.example.com:8443")


def test_only_http_and_an_allow_list_that_is_off_by_default() -> None:
    with pytest.raises(RefusedWebhookUrl):
        check_url("ftp://h.example.com/", resolve=resolving("93.184.215.14"))
    with pytest.raises(RefusedWebhookUrl):
        check_url("http://127.0.0.1:8080/", resolve=resolving("127.0.0.1"))
    allow = allowed_networks(["127.0.0.1/32"])
    assert check_url("http://127.0.0.1:8080/", allow, resolving("127.0.0.1")).port == 8080
    with pytest.raises(RefusedWebhookUrl):
        check_url("http://127.0.0.2:8080/", allow, resolving("127.0.0.2"))
