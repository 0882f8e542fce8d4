"""The demo's seeding gives the first screen a realistic mix: after `liftwatch demo` seeds
its 2,000-elevator fleet and a year of history and the score job runs once, few elevators
are maintenance due on the map, and the indicators have a year of figures."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import psycopg
import pytest

from api.security import hash_password
from evaluation.history import seed_history
from fleet.repository import load_fleet, save_fleet
from liftwatch.demo import seed
from liftwatch.settings import Settings
from maintenance.jobs import ScoreJob
from simulators.fleet import generate_fleet
from tests.fixtures.api_server import api_client

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SECRET = "demo-history-test-secret-0123456789abcdef"
PASSWORD = "pw-demo-history"
CITY_BBOX = "112.9,22.5,114.1,23.95"


@dataclass(frozen=True)
class Seeded:
    url: str
    elevators: int
    seed_s: float


def _counts(url: str) -> tuple[int, int, int, int]:
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT (SELECT count(*) FROM maintenance_records), (SELECT count(*) FROM alarms"
            " WHERE source = 'history'), (SELECT count(*) FROM rescue_cases),"
            " (SELECT count(*) FROM sim_fault_truth)"
        ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1]), int(row[2]), int(row[3])


@pytest.fixture(scope="module")
def seeded(make_database: Callable[[], str]) -> Seeded:
    url = make_database()
    settings = Settings(database_url=url)
    t0 = time.perf_counter()
    seed(settings, url)  # the demo's own seeding: fleet, a year of history, users
    seed_s = time.perf_counter() - t0
    ScoreJob(url, settings.score).run_once()  # the demo runs it at start
    with psycopg.connect(url) as conn:
        conn.execute(
            "INSERT INTO users (username, password_hash, role) VALUES ('sup', %s, 'supervisor')",
            (hash_password(PASSWORD),),
        )
        n = conn.execute("SELECT count(*) FROM elevators").fetchone()
    assert n is not None
    return Seeded(url, int(n[0]), seed_s)


@pytest.fixture(scope="module")
def client(seeded: Seeded) -> Iterator[httpx.Client]:
    with api_client(seeded.url, SECRET) as c:
        r = c.post("/api/v1/auth/token", data={"username": "sup", "password": PASSWORD})
        assert r.status_code == 200, r.text
        c.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
        yield c


def test_first_screen_shows_under_ten_percent_maintenance_due(
    seeded: Seeded, client: httpx.Client
) -> None:
    assert seeded.elevators == 2000
    r = client.get("/api/v1/map", params={"bbox": CITY_BBOX, "zoom": 10})
    assert r.status_code == 200, r.text
    meta = r.json()["meta"]
    assert meta["total"] == seeded.elevators
    due = meta["statuses"].get("maintenance_due", 0)
    assert due / meta["total"] < 0.10, meta
    assert meta["statuses"]["normal"] / meta["total"] > 0.5, meta
    # The flag itself, whatever status ranks above it: any plan level due by today.
    with psycopg.connect(seeded.url) as conn:
        flagged = conn.execute(
            "SELECT count(DISTINCT elevator_id) FROM maintenance_plans"
            " WHERE next_due <= (now() AT TIME ZONE 'Asia/Shanghai')::date"
        ).fetchone()
    assert flagged is not None
    assert 0 < flagged[0] / seeded.elevators < 0.10  # some late visits: a realistic mix


def test_indicators_have_twelve_months_of_figures(seeded: Seeded, client: httpx.Client) -> None:
    previous = (0, 0, 0)
    for month in range(1, 13):
        r = client.get("/api/v1/indicators", params={"days": 30 * month, "group_by": "district"})
        assert r.status_code == 200, r.text
        total = r.json()["total"]
        now = (total["maintenance_records"], total["faults"], total["entrapments"])
        # Every month back adds maintenance records and faults: a year of figures.
        assert now[0] > previous[0] + seeded.elevators, (month, now, previous)
        assert now[1] > previous[1], (month, now, previous)
        assert now[2] >= previous[2]
        previous = now
    year = client.get("/api/v1/indicators", params={"days": 365}).json()["total"]
    assert year["entrapments"] > 0
    assert 80.0 <= year["maintenance_on_time_pct"] < 100.0
    assert year["overdue_elevators"] < 0.10 * seeded.elevators
    assert (
        len(client.get("/api/v1/indicators", params={"days": 365}).json()["groups"]["items"]) == 11
    )
    end = datetime.now(UTC)
    for month in range(12):
        until = end - timedelta(days=30 * month)
        since = until - timedelta(days=30)
        rows = client.get(
            "/api/v1/rescue/indicators",
            params={"by": "district", "since": since.isoformat(), "until": until.isoformat()},
        ).json()
        arrived = sum(row["arrived"] for row in rows)
        assert arrived > 0, (month, rows)
        within = [row["share_30min"] for row in rows if row["share_30min"] is not None]
        assert within
        assert max(within) > 0.5


def test_a_second_demo_start_seeds_no_more_history(seeded: Seeded) -> None:
    before = _counts(seeded.url)
    assert before[1] == before[3] > 0  # every seeded alarm keeps its ground truth
    seed(Settings(database_url=seeded.url), seeded.url)
    assert _counts(seeded.url) == before


def test_a_later_start_continues_the_schedule(make_database: Callable[[], str]) -> None:
    url = make_database()
    now = datetime(2026, 6, 1, 4, tzinfo=UTC)
    with psycopg.connect(url) as conn:
        save_fleet(conn, generate_fleet(150, 5, now.date()))
        conn.commit()
        fleet = load_fleet(conn)
        first = seed_history(conn, fleet, 5, now, days=120)
        later = now + timedelta(days=30)
        again = seed_history(conn, fleet, 5, later)
        gaps = conn.execute(
            """SELECT max(gap) FROM (
                   SELECT (ended_at - lag(ended_at) OVER (PARTITION BY elevator_id
                           ORDER BY ended_at)) AS gap
                   FROM maintenance_records WHERE level <> 'repair') g"""
        ).fetchone()
        recent = conn.execute(
            "SELECT count(DISTINCT elevator_id) FROM maintenance_records WHERE ended_at >= %s",
            (later - timedelta(days=16),),
        ).fetchone()
    assert first.from_ts == now - timedelta(days=120)
    assert again.from_ts == now  # only the 30 days since
    assert 150 * 30 / 17 < again.visits < 150 * 30 / 10
    assert gaps is not None
    assert gaps[0] < timedelta(days=28)
    assert recent is not None
    assert recent[0] >= 140


def test_a_real_registry_gets_no_invented_past(make_database: Callable[[], str]) -> None:
    url = make_database()
    now = datetime(2026, 6, 1, 4, tzinfo=UTC)
    with psycopg.connect(url) as conn:
        save_fleet(conn, generate_fleet(30, 2, now.date()))
        conn.execute("DELETE FROM sim_elevator_condition WHERE elevator_id = 1")
        conn.commit()
        report = seed_history(conn, load_fleet(conn), 2, now)
    assert report.from_ts is None
    assert report.skipped == "not a simulated fleet"
    assert _counts(url) == (0, 0, 0, 0)
