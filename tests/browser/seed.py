"""A small known fleet, users of every role, and a running API, for the API and browser
tests. Plain INSERTs, so the tests do not depend on the simulator's generator."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import psycopg

from accounts.repository import Scope, create_user
from api.app import AppConfig
from api.config import ApiSettings, LoginSettings
from api.security import hash_password
from domain.districts import DISTRICTS
from tests.fixtures.api_server import ApiServer

PASSWORD = "correct-horse-battery"
JWT_SECRET = "test-secret-" + "x" * 40
USERS: dict[str, tuple[str, int | None, int | None]] = {
    "admin": ("admin", None, None),
    "supervisor": ("supervisor", None, None),
    "desk": ("desk", None, None),
    "company1": ("company", 1, None),
    "company2": ("company", 2, None),
    "rescuer": ("rescuer", None, 1),
}


@dataclass(frozen=True)
class SeededFleet:
    elevators: dict[int, int]  # elevator id -> company id
    districts: dict[int, str]

    def of_company(self, company_id: int) -> list[int]:
        return sorted(e for e, c in self.elevators.items() if c == company_id)


def seed_fleet(url: str, per_district: int = 6) -> SeededFleet:
    """Elevators around each district centre; companies 1-3 in turn; one rescuer."""
    elevators: dict[int, int] = {}
    districts: dict[int, str] = {}
    today = date.today()
    with psycopg.connect(url, autocommit=True) as conn, conn.transaction():
        for cid in (1, 2, 3):
            conn.execute(
                "INSERT INTO maintenance_companies (id, name, tech_level, credit_grade,"
                " credit_score) VALUES (%s, %s, 3, 'A', 90)",
                (cid, f"Company {cid}"),
            )
        conn.execute("INSERT INTO user_units (id, name, management_level) VALUES (1, 'Unit', 3)")
        conn.execute(
            "INSERT INTO rescuers (id, name, company_id, home_lon, home_lat, lon, lat,"
            " shift_start, shift_end) VALUES (1, 'R1', 1, 113.27, 23.13, 113.27, 23.13,"
            " '00:00', '23:59')"
        )
        eid = 0
        for d in DISTRICTS:
            for k in range(per_district):
                eid += 1
                company = 1 + eid % 3
                lon = d.centre[0] + 0.002 * (k % 3)
                lat = d.centre[1] + 0.002 * (k // 3)
                insured = today + timedelta(days=100 if eid % 5 else -10)
                conn.execute(
                    "INSERT INTO elevators (id, code, terminal_id, lon, lat, district,"
                    " building_type, install_date, rated_speed, floors, company_id,"
                    " user_unit_id, insurance_expiry) VALUES (%s, %s, %s, %s, %s, %s,"
                    " 'residential', '2010-01-01', 1.5, 20, %s, 1, %s)",
                    (eid, f"440{eid:07d}", f"T{eid:06d}", lon, lat, d.name, company, insured),
                )
                elevators[eid] = company
                districts[eid] = d.name
        hashed = hash_password(PASSWORD)  # one hash for all: argon2 is slow on purpose
        for username, (role, company_id, rescuer_id) in USERS.items():
            create_user(conn, username, hashed, Scope(role, company_id, rescuer_id))
    return SeededFleet(elevators, districts)


def insert_status(conn: psycopg.Connection[Any], elevator_id: int, online: bool = True) -> None:
    conn.execute(
        "INSERT INTO elevator_status (elevator_id, ts, seq, car, dir, floor, door_zone, door,"
        " passenger, mode, power, online) VALUES (%s, now(), 1, 0, 0, 3, true, 0, false, 1, 0, %s)"
        " ON CONFLICT (elevator_id) DO UPDATE SET online = EXCLUDED.online",
        (elevator_id, online),
    )


def insert_telemetry(conn: psycopg.Connection[Any], elevator_id: int, n: int = 30) -> None:
    now = datetime.now(UTC)
    conn.execute(
        "SELECT liftwatch_ensure_telemetry_partitions(%s::date - 1, %s::date + 1)",
        (now.date(), now.date()),
    )
    for i in range(n):
        ts = now - timedelta(seconds=5 * (n - i))
        conn.execute(
            "INSERT INTO telemetry (ts, elevator_id, seq, received_at, car, dir, floor,"
            " door_zone, door, passenger, mode, power, speed, load, leveling_mm, run_hours,"
            " runs, door_cycles) VALUES (%s, %s, %s, %s, 1, 1, %s, false, 0, true, 1, 0, %s,"
            " 0.3, 0, 100, 10, 10)",
            (ts, elevator_id, i, ts, 1 + i % 10, 1.0 + (i % 4) * 0.1),
        )


UNTHROTTLED = LoginSettings(name_burst=10_000, address_burst=10_000)


def api_server(database_url: str, api: ApiSettings | None = None) -> ApiServer:
    """The API on a free port, with the test secret (enter it to start it)."""
    config = AppConfig(
        database_url=database_url,
        mqtt_url=None,
        jwt_secret=JWT_SECRET,
        # logins: the browser tests log the same users in many times (the throttling
        # itself is tested in tests/integration/test_auth_hardening.py)
        api=api or ApiSettings(sse_keepalive_s=1.0, login=UNTHROTTLED),
    )
    return ApiServer(config)


_TOKENS: dict[tuple[str, str], str] = {}


def token(base_url: str, username: str) -> str:
    """A token of a seeded user from the login endpoint, once per server and user (logins
    are throttled per user name)."""
    key = (base_url, username)
    if key not in _TOKENS:
        _TOKENS[key] = login_token(base_url, username)
    return _TOKENS[key]


def login_token(base_url: str, username: str) -> str:
    r = httpx.post(
        f"{base_url}/api/v1/auth/token", data={"username": username, "password": PASSWORD}
    )
    r.raise_for_status()
    return str(r.json()["access_token"])


def served(database_url: str) -> Iterator[ApiServer]:
    with api_server(database_url) as server:
        yield server
