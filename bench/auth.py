"""Benchmark of the hardened authentication and webhook delivery, against a real uvicorn
server on 127.0.0.1 and the database on LIFTWATCH_DATABASE_URL's server.

- login time for a wrong password and for an unknown user (medians, their ratio: the
  dummy hash makes them alike);
- a token-authenticated request (which now loads the user row on every request): p50/p95
  of ``GET /api/v1/auth/me``;
- ten concurrent API-key requests (all must succeed on the pool of ten);
- 20 concurrent logins for one name: how many are refused with 429;
- a webhook to a drip-feeding server: the time until the attempt is cut (deadline 1 s).

Usage: python -m bench.auth [--requests 200]  (from the repository root)
Prints its figures, one JSON line last.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import httpx
import psycopg
import uvicorn

from accounts.model import Scope
from accounts.service import create_user
from api.app import AppConfig, create_app
from api.config import ApiSettings, LoginSettings
from liftwatch.embedded import free_port
from rescue.config import DispatchSettings
from rescue.notifications import deliver_due
from storage.scratch import create_database

SECRET = "bench-secret-" + "a" * 40
PASSWORD = "bench-password-1"


def _serve(db: str) -> tuple[uvicorn.Server, threading.Thread, str]:
    port = free_port()
    settings = ApiSettings(login=LoginSettings(address_burst=10_000, address_per_min=600_000))
    app = create_app(AppConfig(database_url=db, mqtt_url=None, jwt_secret=SECRET, api=settings))
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if time.monotonic() > deadline:
            sys.exit("the API server did not start")
        time.sleep(0.05)
    return server, thread, f"http://127.0.0.1:{port}"


def _login(base: str, name: str, password: str) -> httpx.Response:
    return httpx.post(f"{base}/api/v1/auth/token", data={"username": name, "password": password})


def _timed(fn: Any) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


def login_figures(base: str) -> dict[str, float]:
    wrong = [_timed(lambda: _login(base, "timing", "nope-nope")) for _ in range(4)]
    unknown = [_timed(lambda i=i: _login(base, f"ghost{i}", "nope-nope")) for i in range(4)]
    return {
        "wrong_password_ms": round(statistics.median(wrong), 1),
        "unknown_user_ms": round(statistics.median(unknown), 1),
        "ratio": round(statistics.median(unknown) / statistics.median(wrong), 2),
    }


def token_request_figures(base: str, requests: int) -> dict[str, float]:
    token = _login(base, "reader", PASSWORD).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=headers) as client:
        times = sorted(_timed(lambda: client.get("/api/v1/auth/me")) for _ in range(requests))
    return {
        "p50_ms": round(times[len(times) // 2], 2),
        "p95_ms": round(times[int(len(times) * 0.95)], 2),
    }


def api_key_figures(base: str) -> dict[str, Any]:
    token = _login(base, "admin", PASSWORD).json()["access_token"]
    key = httpx.post(
        f"{base}/api/v1/api-keys",
        json={"name": "bench", "role": "supervisor"},
        headers={"Authorization": f"Bearer {token}"},
    ).json()["key"]
    barrier = threading.Barrier(10)

    def call(_: int) -> int:
        barrier.wait()
        return httpx.get(f"{base}/api/v1/auth/me", headers={"X-API-Key": key}).status_code

    started = time.perf_counter()
    with ThreadPoolExecutor(10) as pool:
        codes = list(pool.map(call, range(10)))
    wall_ms = round((time.perf_counter() - started) * 1000, 1)
    return {"ok": codes.count(200), "of": 10, "wall_ms": wall_ms}


def flood_figures(base: str) -> dict[str, int]:
    with ThreadPoolExecutor(20) as pool:
        codes = list(pool.map(lambda _: _login(base, "flooded", "guess").status_code, range(20)))
    others = [_login(base, name, PASSWORD).status_code for name in ("reader", "admin")]
    return {"refused_429": codes.count(429), "checked_401": codes.count(401),
            "others_ok": others.count(200)}  # fmt: skip


def drip_figures(db: str) -> dict[str, float]:
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def drip() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.recv(65536)
            for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 300:
                time.sleep(0.2)
                try:
                    conn.sendall(bytes([byte]))
                except OSError:
                    return

    threading.Thread(target=drip, daemon=True).start()
    settings = DispatchSettings(
        webhook_max_attempts=1, webhook_deadline_s=1.0, webhook_allow_networks=("127.0.0.1/32",)
    )
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO maintenance_companies (id, name, tech_level, credit_grade, credit_score)"
            " VALUES (1, 'Bench Co', 3, 'A', 90) ON CONFLICT DO NOTHING"
        )
        conn.execute(
            "INSERT INTO webhook_subscriptions (company_id, url, secret) VALUES (1, %s, %s)",
            (f"http://127.0.0.1:{port}/hook", "k" * 24),
        )
        conn.execute(
            """INSERT INTO webhook_deliveries (subscription_id, event, body, created_at,
                   next_attempt_at) SELECT id, 'reported', '{}', now(), now()
               FROM webhook_subscriptions"""
        )
        started = time.perf_counter()
        deliver_due(conn, settings, datetime.now(UTC))
        elapsed = time.perf_counter() - started
    listener.close()
    return {"deadline_s": 1.0, "cut_after_s": round(elapsed, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    server_url = os.environ.get("LIFTWATCH_DATABASE_URL")
    if not server_url:
        sys.exit("set LIFTWATCH_DATABASE_URL")
    scratch = create_database(server_url, "lw_bench_auth")
    try:
        with psycopg.connect(scratch.url, autocommit=True) as conn:
            for name, role in (("admin", "admin"), ("reader", "supervisor"), ("timing", "desk"),
                               ("flooded", "desk")):  # fmt: skip
                create_user(conn, name, PASSWORD, Scope(role))
        server, thread, base = _serve(scratch.url)
        try:
            figures = {
                "login": login_figures(base),
                "token_request": token_request_figures(base, args.requests),
                "api_keys_concurrent": api_key_figures(base),
                "login_flood": flood_figures(base),
                "webhook_drip": drip_figures(scratch.url),
            }
        finally:
            server.should_exit = True
            thread.join(timeout=15)
    finally:
        scratch.drop()
    for name, value in figures.items():
        print(f"{name}: {value}", file=sys.stderr)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
