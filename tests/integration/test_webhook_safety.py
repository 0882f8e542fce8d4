"""Webhooks that cannot be turned against us, on a real database and real sockets: only
public addresses (at registration and at delivery), a per-company cap, no redirects, a
total delivery deadline against a drip-feeding server, and one failing delivery failing
alone."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import httpx
import psycopg
import pytest

from api.app import AppConfig
from api.security import Role
from rescue.config import DispatchSettings
from rescue.notifications import WebhookPoster, deliver_due
from tests.fixtures.api_server import ApiServer
from tests.fixtures.users import bearer, user_token

pytestmark = pytest.mark.integration

SECRET = "w" * 40
REAL_GETADDRINFO = socket.getaddrinfo


def _resolving(names: dict[str, str]) -> Callable[..., Any]:
    """getaddrinfo answering the given names with the given addresses (others as usual)."""

    def fake(host: str, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host in names:
            return REAL_GETADDRINFO(names[host], port, *args, **kwargs)
        return REAL_GETADDRINFO(host, port, *args, **kwargs)

    return fake


class Receiver(BaseHTTPRequestHandler):
    """Answers 200, or 302 to the internal address for /redirect."""

    hits: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        Receiver.hits.append(self.path)
        if self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "http://10.0.0.1/internal")
        else:
            self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[int]:
    Receiver.hits = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def dripping() -> Iterator[int]:
    """A server that answers one byte of a status line every 0.2 s, for two minutes."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.recv(65536)
            for byte in (b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 600)[:600]:
                if stop.wait(0.2):
                    return
                try:
                    conn.sendall(bytes([byte]))
                except OSError:
                    return

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        listener.close()


@pytest.fixture(scope="module")
def api(dispatch_seeded_url: str) -> Iterator[tuple[httpx.Client, dict[str, str]]]:
    config = AppConfig(
        database_url=dispatch_seeded_url,
        mqtt_url=None,
        jwt_secret=SECRET,
        dispatch=DispatchSettings(webhook_max_per_company=2),  # no allow-list: the default
    )
    own = bearer(user_token(dispatch_seeded_url, SECRET, Role.COMPANY, company=1))
    with ApiServer(config) as server, httpx.Client(base_url=server.base_url, timeout=30) as c:
        yield c, own


def _subscribe(client: httpx.Client, own: dict[str, str], url: str) -> httpx.Response:
    return client.post("/api/v1/webhooks", json={"url": url, "secret": "s" * 20}, headers=own)


def test_registration_refuses_internal_addresses_and_caps_subscriptions(
    api: tuple[httpx.Client, dict[str, str]],
    dispatch_db: str,
    receiver: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client, own = api
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        _resolving({"hooks.example.com": "10.0.0.1", "ok.example.com": "93.184.215.14"}),
    )
    for url in (
        f"http://127.0.0.1:{receiver}/hook",
        f"http://localhost:{receiver}/hook",
        "https://hooks.example.com/hook",  # resolves to 10.0.0.1
        "http://169.254.169.254/latest/meta-data/",
        "http://100.100.100.200/latest/meta-data/",
        "http://[::1]/hook",
        "http://[fd00::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://unresolvable.invalid/hook",
    ):
        r = _subscribe(client, own, url)
        assert r.status_code == 422, (url, r.text)
    assert Receiver.hits == []
    assert _subscribe(client, own, "https://ok.example.com/a").status_code == 201
    assert _subscribe(client, own, "https://ok.example.com/b").status_code == 201
    third = _subscribe(client, own, "https://ok.example.com/c")
    assert third.status_code == 409
    assert "2" in third.json()["detail"]


def _queue_delivery(url: str, hooks: list[str]) -> None:
    """Subscriptions (straight into the table, as if registered when they were public)
    and one queued delivery each."""
    with psycopg.connect(url, autocommit=True) as conn:
        for hook in hooks:
            conn.execute(
                "INSERT INTO webhook_subscriptions (company_id, url, secret) VALUES (1, %s, %s)",
                (hook, "k" * 24),
            )
        conn.execute(
            """INSERT INTO webhook_deliveries (subscription_id, case_id, event, body,
                                               created_at, next_attempt_at)
               SELECT id, NULL, 'reported', '{}', now(), now() FROM webhook_subscriptions"""
        )


def _deliveries(conn: psycopg.Connection[Any]) -> dict[str, tuple[str, int | None, str]]:
    rows = conn.execute(
        """SELECT s.url, d.status, d.response_code, d.last_error FROM webhook_deliveries d
           JOIN webhook_subscriptions s ON s.id = d.subscription_id"""
    ).fetchall()
    return {str(r[0]): (str(r[1]), r[2], str(r[3] or "")) for r in rows}


def test_delivery_checks_again_and_follows_no_redirect(dispatch_db: str, receiver: int) -> None:
    local = f"http://127.0.0.1:{receiver}"
    rebound = "http://rebound.example.com/hook"  # public when registered, internal now
    _queue_delivery(dispatch_db, [f"{local}/hook", f"{local}/redirect", rebound])
    settings = DispatchSettings(webhook_max_attempts=1)
    with psycopg.connect(dispatch_db, autocommit=True) as conn:
        # The default settings: loopback is refused at delivery too.
        assert deliver_due(conn, settings, datetime.now(UTC)) == 3
        refused = _deliveries(conn)
        assert all(s == "failed" and "refused" in e for s, _, e in refused.values()), refused
        assert Receiver.hits == []
        conn.execute(
            "UPDATE webhook_deliveries SET status = 'pending', attempts = 0,"
            " next_attempt_at = now()"
        )
        allowed = DispatchSettings(webhook_max_attempts=1, webhook_allow_networks=("127.0.0.1/32",))
        poster = WebhookPoster(
            allowed.webhook_allow_networks, _resolving({"rebound.example.com": "10.0.0.1"})
        )
        assert deliver_due(conn, allowed, datetime.now(UTC), poster) == 3
        done = _deliveries(conn)
    assert done[f"{local}/hook"][:2] == ("delivered", 200)
    assert done[f"{local}/redirect"][:2] == ("failed", 302)  # not followed
    assert done[rebound][0] == "failed"
    assert "10.0.0.1" in done[rebound][2]
    assert sorted(Receiver.hits) == ["/hook", "/redirect"]


def test_a_drip_feeding_server_is_cut_at_the_deadline(dispatch_db: str, dripping: int) -> None:
    _queue_delivery(dispatch_db, [f"http://127.0.0.1:{dripping}/hook"])
    settings = DispatchSettings(
        webhook_max_attempts=1, webhook_deadline_s=1.0, webhook_allow_networks=("127.0.0.1/32",)
    )
    started = time.monotonic()
    with psycopg.connect(dispatch_db, autocommit=True) as conn:
        assert deliver_due(conn, settings, datetime.now(UTC)) == 1
        ((status, code, error),) = _deliveries(conn).values()
    elapsed = time.monotonic() - started
    assert (status, code) == ("failed", None)
    assert "deadline" in error
    assert elapsed < 60  # the server drips for two minutes: it was cut, not waited out


def test_an_exception_in_one_delivery_fails_that_delivery_only(
    dispatch_db: str, receiver: int
) -> None:
    good, bad = f"http://127.0.0.1:{receiver}/hook", "http://bad.example.com/hook"
    _queue_delivery(dispatch_db, [bad, good])
    settings = DispatchSettings(webhook_allow_networks=("127.0.0.1/32",))
    real = WebhookPoster(settings.webhook_allow_networks)

    def post(url: str, body: bytes, headers: dict[str, str], deadline_s: float) -> Any:
        if url == bad:
            raise RuntimeError("a bug in one delivery")
        return real(url, body, headers, deadline_s)

    with psycopg.connect(dispatch_db, autocommit=True) as conn:
        assert deliver_due(conn, settings, datetime.now(UTC), post) == 2
        found = _deliveries(conn)
    assert found[good][:2] == ("delivered", 200)
    status, code, error = found[bad]
    assert (status, code) == ("pending", None)  # a failed attempt, retried later
    assert "a bug in one delivery" in error
