"""Tokens and logins on a real server and database: revocation at once, throttled logins
that do not tell which users exist, API keys on one pooled connection, SSE tickets
instead of tokens in the URL, and capped live-event streams."""

from __future__ import annotations

import functools
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

import accounts.credentials
from api.config import ApiSettings, LoginSettings
from api.live import EventHub
from tests.browser.seed import PASSWORD, api_server, seed_fleet

pytestmark = pytest.mark.integration

# Generous per-address limits: every test client is 127.0.0.1 (the name limits are the
# defaults, which the flood test relies on).
SETTINGS = ApiSettings(
    sse_keepalive_s=1.0,
    sse_max_streams=3,
    sse_max_streams_per_user=2,
    login=LoginSettings(address_burst=1000, address_per_min=60_000),
)


TIMEOUT = 120  # argon2 on two busy cores: a login may wait seconds for its turn


@dataclass
class Server:
    base: str
    url: str
    hub: EventHub
    admin_token: str = ""

    def login(self, username: str, password: str = PASSWORD) -> httpx.Response:
        return httpx.post(
            f"{self.base}/api/v1/auth/token",
            data={"username": username, "password": password},
            timeout=TIMEOUT,
        )

    def token(self, username: str, password: str = PASSWORD) -> str:
        r = self.login(username, password)
        assert r.status_code == 200, r.text
        return str(r.json()["access_token"])

    def get(self, path: str, token: str) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"}
        return httpx.get(f"{self.base}{path}", headers=headers, timeout=TIMEOUT)

    def admin(self) -> httpx.Client:
        self.admin_token = self.admin_token or self.token("admin")  # logins are throttled
        headers = {"Authorization": f"Bearer {self.admin_token}"}
        return httpx.Client(base_url=self.base, headers=headers, timeout=TIMEOUT)


@pytest.fixture(scope="module")
def server(make_database: Callable[[], str]) -> Iterator[Server]:
    url = make_database()
    seed_fleet(url, per_district=1)
    with api_server(url, SETTINGS) as running:
        yield Server(running.base_url, url, running.app.state.event_hub)


def _new_user(server: Server, name: str, password: str = PASSWORD) -> int:
    with server.admin() as admin:
        r = admin.post(
            "/api/v1/users", json={"username": name, "password": password, "role": "desk"}
        )
        assert r.status_code == 201, r.text
        return int(r.json()["id"])


def test_deactivated_user_token_gets_401_on_the_next_request(server: Server) -> None:
    user_id = _new_user(server, "leaving")
    token = server.token("leaving")
    assert server.get("/api/v1/auth/me", token).status_code == 200
    with server.admin() as admin:
        assert admin.patch(f"/api/v1/users/{user_id}", json={"active": False}).status_code == 200
    assert server.get("/api/v1/auth/me", token).status_code == 401
    assert server.get("/api/v1/alarms", token).status_code == 401
    assert server.login("leaving").status_code == 401
    with server.admin() as admin:  # reactivated: a new login works, the old token does not
        assert admin.patch(f"/api/v1/users/{user_id}", json={"active": True}).status_code == 200
    assert server.get("/api/v1/auth/me", server.token("leaving")).status_code == 200
    assert server.get("/api/v1/auth/me", token).status_code == 401


def test_password_change_revokes_old_tokens(server: Server) -> None:
    user_id = _new_user(server, "changer")
    old = server.token("changer")
    assert server.get("/api/v1/auth/me", old).status_code == 200
    with server.admin() as admin:
        r = admin.patch(f"/api/v1/users/{user_id}", json={"password": "a-new-password-42"})
        assert r.status_code == 200
    assert server.get("/api/v1/auth/me", old).status_code == 401
    assert server.login("changer").status_code == 401
    assert server.get(
        "/api/v1/auth/me", server.token("changer", "a-new-password-42")
    ).status_code == (200)


def test_login_flood_for_one_name_gets_429_while_others_log_in(server: Server) -> None:
    _new_user(server, "target")
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(lambda _: server.login("target", "wrong-guess-123"), range(20)))
    elapsed = time.monotonic() - started
    codes = [r.status_code for r in answers]
    assert set(codes) <= {401, 429}
    assert codes.count(429) >= 10, (codes, elapsed)
    refused = next(r for r in answers if r.status_code == 429)
    assert int(refused.headers["Retry-After"]) >= 1
    # Other users log in normally meanwhile.
    for name in ("supervisor", "company1", "desk"):
        assert server.login(name).status_code == 200
    # The flooded name stays locked, even with the right password.
    locked = server.login("target")
    assert locked.status_code == 429
    assert int(locked.headers["Retry-After"]) >= 1


def test_unknown_user_costs_a_password_check_like_a_wrong_password(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    _new_user(server, "timing")
    checked: list[str] = []
    real = accounts.credentials.verify_password

    def spy(password_hash: str, password: str) -> bool:
        checked.append(password_hash)
        return real(password_hash, password)

    monkeypatch.setattr(accounts.credentials, "verify_password", spy)
    unknown: list[float] = []
    wrong: list[float] = []
    for i in range(4):  # interleaved, fewer than the lockout's failures per name
        for name, times in ((f"nobody-{i}", unknown), ("timing", wrong)):
            started = time.perf_counter()
            assert server.login(name, "not-the-password").status_code == 401
            times.append(time.perf_counter() - started)
    dummy = accounts.credentials.dummy_hash()
    assert checked.count(dummy) == 4  # every unknown user was checked against the dummy
    assert len(checked) == 8
    ratio = statistics.median(unknown) / statistics.median(wrong)
    assert 0.25 < ratio < 4, (unknown, wrong)


def test_ten_concurrent_api_key_requests_all_succeed(server: Server) -> None:
    with server.admin() as admin:
        r = admin.post("/api/v1/api-keys", json={"name": "dashboard", "role": "supervisor"})
        assert r.status_code == 201, r.text
        key = r.json()["key"]
    barrier = threading.Barrier(10)

    def call(_: int) -> int:
        barrier.wait()
        return httpx.get(
            f"{server.base}/api/v1/elevators",
            params={"limit": 5},
            headers={"X-API-Key": key},
            timeout=TIMEOUT,
        ).status_code

    with ThreadPoolExecutor(max_workers=10) as pool:
        assert list(pool.map(call, range(10))) == [200] * 10


def _ticket(server: Server, token: str) -> str:
    r = httpx.post(
        f"{server.base}/api/v1/auth/sse-ticket",
        headers={"Authorization": f"Bearer {token}"},
        timeout=TIMEOUT,
    )
    assert r.status_code == 200, r.text
    assert r.json()["expires_in"] == SETTINGS.sse_ticket_s
    return str(r.json()["ticket"])


def _first_event(response: httpx.Response) -> str:
    for line in response.iter_lines():
        if line.startswith("event: "):
            return line[7:]
    return ""


def test_sse_ticket_works_once_and_a_token_in_the_url_does_not(server: Server) -> None:
    token = server.token("supervisor")
    events = f"{server.base}/api/v1/events"
    ticket = _ticket(server, token)
    with httpx.stream("GET", events, params={"ticket": ticket}, timeout=TIMEOUT) as r:
        assert r.status_code == 200
        assert _first_event(r) == "hello"
    get = functools.partial(httpx.get, events, timeout=TIMEOUT)
    assert get(params={"ticket": ticket}).status_code == 401  # used
    assert get(params={"access_token": token}).status_code == 401
    assert get(params={"ticket": token}).status_code == 401  # not a ticket
    key_only = httpx.post(f"{server.base}/api/v1/auth/sse-ticket", timeout=TIMEOUT)
    assert key_only.status_code == 401


def test_stream_caps_refuse_the_next_stream(server: Server) -> None:
    deadline = time.monotonic() + 30  # streams of earlier tests end on their next keepalive
    while server.hub.subscriber_count and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.hub.subscriber_count == 0
    events = f"{server.base}/api/v1/events"
    desk, company = server.token("desk"), server.token("company1")
    with ExitStack() as open_streams:

        def open_stream(token: str) -> httpx.Response:
            ticket = _ticket(server, token)
            return open_streams.enter_context(
                httpx.stream("GET", events, params={"ticket": ticket}, timeout=TIMEOUT)
            )

        first: list[Any] = [open_stream(desk), open_stream(desk)]
        assert [r.status_code for r in first] == [200, 200]
        per_user = open_stream(desk)
        assert per_user.status_code == 429
        assert per_user.headers["Retry-After"]
        assert open_stream(company).status_code == 200  # 3 streams: the total cap
        total = open_stream(server.token("supervisor"))
        assert total.status_code == 503
        assert total.headers["Retry-After"]
