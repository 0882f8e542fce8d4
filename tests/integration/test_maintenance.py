"""The score job on a small simulated fleet in a real database: scores, plans, work orders,
overdue alarms raised and resolved, and the maintenance API with company scoping."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import psycopg
import pytest

from alarms.repository import raise_alarm
from api.security import hash_password
from domain.alarms import AlarmType
from domain.localtime import city_date
from fleet.repository import save_fleet
from maintenance.config import ScoreSettings
from maintenance.jobs import ScoreJob, recompute
from simulators.fleet import generate_fleet
from tests.fixtures.api_server import api_client

pytestmark = pytest.mark.integration

NOW = datetime.now(UTC).replace(microsecond=0)
SECRET = "x" * 40
PASSWORD = "correct horse battery staple"


@dataclass
class World:
    url: str
    trapped: int  # an entrapment two days ago
    neglected: int  # last maintained 400 days ago: every level overdue
    other_company: int  # an elevator of another company than neglected's
    company: int  # neglected's company
    n: int


def _seed(url: str) -> World:
    fleet = generate_fleet(240, 5, NOW.date())
    with psycopg.connect(url) as conn:
        save_fleet(conn, fleet)
        conn.commit()
    ids = [e.id for e in fleet.elevators]
    trapped, neglected = ids[0], ids[1]
    company = next(e.company_id for e in fleet.elevators if e.id == neglected)
    other = next(e.id for e in fleet.elevators if e.company_id != company)
    with psycopg.connect(url, autocommit=True) as conn:
        # Terminals online (all but the last ten).
        conn.execute(
            """INSERT INTO elevator_status (elevator_id, ts, seq, car, dir, floor, door_zone,
                   door, passenger, mode, power, online)
               SELECT id, %s, 1, 0, 0, 1, true, 0, false, 1, 0, id <= %s FROM elevators""",
            (NOW, max(ids) - 10),
        )
        # Everyone maintained 5 days ago, except the neglected elevator (400 days ago).
        conn.execute(
            """INSERT INTO maintenance_records (elevator_id, company_id, level, technician,
                   started_at, ended_at, due_date)
               SELECT id, company_id, 'yearly', 'seed', %s, %s, %s::date FROM elevators""",
            (NOW - timedelta(days=5, hours=1), NOW - timedelta(days=5), NOW.date()),
        )
        conn.execute(
            "UPDATE maintenance_records SET started_at = %s, ended_at = %s WHERE elevator_id = %s",
            (NOW - timedelta(days=400, hours=1), NOW - timedelta(days=400), neglected),
        )
        raise_alarm(conn, trapped, AlarmType.ENTRAPMENT, NOW - timedelta(days=2), "test")
        for name, role, cid in (
            ("sup", "supervisor", None),
            ("own", "company", company),
            ("foreign", "company", next(e.company_id for e in fleet.elevators if e.id == other)),
        ):
            conn.execute(
                "INSERT INTO users (username, password_hash, role, company_id)"
                " VALUES (%s, %s, %s, %s)",
                (name, hash_password(PASSWORD), role, cid),
            )
    return World(url, trapped, neglected, other, company, len(ids))


@pytest.fixture(scope="module")
def world(make_database: object) -> World:
    url = make_database()  # type: ignore[operator]
    w = _seed(url)
    with psycopg.connect(url, autocommit=True) as conn:
        recompute(conn, ScoreSettings(), NOW)
    return w


@pytest.fixture(scope="module")
def client(world: World) -> Iterator[httpx.Client]:
    """The API app on a real uvicorn server in a thread."""
    with api_client(world.url, SECRET) as c:
        yield c


def _auth(client: httpx.Client, user: str) -> dict[str, str]:
    r = client.post("/api/v1/auth/token", data={"username": user, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_scores_written_for_the_whole_fleet(world: World) -> None:
    with psycopg.connect(world.url) as conn:
        rows = conn.execute(
            "SELECT total, grade, baseline, factors, contributions, eligible, interval_days,"
            " reasons FROM elevator_scores"
        ).fetchall()
    assert len(rows) == world.n
    for total, grade, baseline, factors, contrib, eligible, interval, reasons in rows:
        assert 0 <= total <= 100
        assert grade in "ABCD"
        assert set(factors) == {"age", "company", "user_unit", "credit", "monitoring"}
        assert sum(contrib.values()) == pytest.approx(total - baseline, abs=1e-3)
        assert interval == 15 if not eligible else interval >= 15
        assert reasons
        assert all({"code", "text"} <= set(r) for r in reasons)
    assert any(r[5] for r in rows)
    assert not all(r[5] for r in rows)


def test_plans_urgent_visit_and_overdue_alarm(world: World) -> None:
    with psycopg.connect(world.url) as conn:
        plans = conn.execute("SELECT count(*) FROM maintenance_plans").fetchone()
        assert plans is not None
        assert plans[0] == 4 * world.n
        due, reasons = conn.execute(  # type: ignore[misc]
            "SELECT next_due, reasons FROM maintenance_plans"
            " WHERE elevator_id = %s AND level = 'half_monthly'",
            (world.trapped,),
        ).fetchone()
        # three days from the entrapment's day in the city (Asia/Shanghai), not in UTC
        assert due == city_date(NOW - timedelta(days=2)) + timedelta(days=3)
        assert "urgent_visit" in [r["code"] for r in reasons]
        overdue = conn.execute(
            "SELECT state, detail FROM alarms WHERE elevator_id = %s AND type = %s",
            (world.neglected, AlarmType.MAINTENANCE_OVERDUE.value),
        ).fetchall()
        assert len(overdue) == 1
        assert overdue[0][0] == "open"
        assert set(overdue[0][1]["levels"]) == {
            "half_monthly",
            "quarterly",
            "half_yearly",
            "yearly",
        }
        others = conn.execute(
            "SELECT count(*) FROM alarms WHERE type = 'maintenance_overdue' AND elevator_id <> %s",
            (world.neglected,),
        ).fetchone()
        assert others is not None
        assert others[0] == 0
        orders = conn.execute(
            "SELECT level, state FROM work_orders WHERE elevator_id = %s ORDER BY level",
            (world.neglected,),
        ).fetchall()
        assert sorted(o[0] for o in orders) == sorted(
            ["half_monthly", "quarterly", "half_yearly", "yearly"]
        )


def test_recompute_is_idempotent_for_alarms_and_work_orders(world: World) -> None:
    with psycopg.connect(world.url, autocommit=True) as conn:
        before = conn.execute("SELECT count(*) FROM work_orders").fetchone()
        report = recompute(conn, ScoreSettings(), NOW)
        after = conn.execute("SELECT count(*) FROM work_orders").fetchone()
    assert report.elevators == world.n
    assert report.work_orders_opened == 0
    assert before == after
    assert report.overdue_raised == 0
    assert report.overdue_resolved == 0


def test_api_scores_and_scoping(world: World, client: httpx.Client) -> None:
    sup, own, foreign = (_auth(client, u) for u in ("sup", "own", "foreign"))
    r = client.get(f"/api/v1/elevators/{world.neglected}/score", headers=own)
    assert r.status_code == 200, r.text
    body = r.json()
    assert sum(body["contributions"].values()) == pytest.approx(
        body["total"] - body["baseline"], abs=1e-3
    )
    assert (
        client.get(f"/api/v1/elevators/{world.neglected}/score", headers=foreign).status_code == 404
    )
    assert client.get(f"/api/v1/elevators/{world.neglected}/score", headers=sup).status_code == 200
    assert client.get("/api/v1/elevators/999999/score", headers=sup).status_code == 404
    assert client.get(f"/api/v1/elevators/{world.neglected}/score").status_code == 401
    assert client.get("/api/v1/elevators/0/score", headers=sup).status_code == 422

    page = client.get(
        f"/api/v1/companies/{world.company}/scores", params={"limit": 2}, headers=own
    ).json()
    assert page["total"] >= 1
    assert len(page["items"]) <= 2
    totals = [i["total"] for i in page["items"]]
    assert totals == sorted(totals)
    assert (
        client.get(f"/api/v1/companies/{world.company}/scores", headers=foreign).status_code == 404
    )
    bad = client.get(
        f"/api/v1/companies/{world.company}/scores", params={"grade": "E"}, headers=sup
    )
    assert bad.status_code == 422

    city = client.get("/api/v1/scores/distribution", headers=sup).json()
    assert city["elevators"] == world.n
    assert sum(city["by_grade"].values()) == world.n
    mine = client.get("/api/v1/scores/distribution", headers=own).json()
    assert 0 < mine["elevators"] < world.n


def test_complete_work_order_resolves_overdue(world: World, client: httpx.Client) -> None:
    own, foreign = _auth(client, "own"), _auth(client, "foreign")
    sup = _auth(client, "sup")
    plan = client.get(f"/api/v1/elevators/{world.neglected}/maintenance", headers=own).json()
    assert all(p["overdue"] for p in plan["plans"])
    yearly = next(w for w in plan["work_orders"] if w["level"] == "yearly" and w["state"] == "open")
    path = f"/api/v1/work-orders/{yearly['id']}/complete"
    with psycopg.connect(world.url, autocommit=True) as conn:  # issued this morning
        conn.execute(
            "UPDATE work_orders SET created_at = %s WHERE id = %s",
            (NOW - timedelta(hours=6), yearly["id"]),
        )
    done = {
        "technician": "Li Wei",
        "started_at": (NOW - timedelta(hours=2)).isoformat(),
        "ended_at": (NOW - timedelta(hours=1)).isoformat(),
        "items": ["A1 machine room", "D3 brake test"],
        "findings": "brake lining worn, replaced",
    }
    assert client.post(path, json=done, headers=foreign).status_code == 404
    assert client.post(path, json=done, headers=sup).status_code == 403
    for bad in (
        {**done, "ended_at": (NOW - timedelta(hours=3)).isoformat()},  # before the start
        {**done, "started_at": "2024-06-01T09:00:00"},  # no time zone
        {**done, "items": []},
        {**done, "ended_at": (NOW + timedelta(days=1)).isoformat()},  # in the future
        {k: v for k, v in done.items() if k != "technician"},
    ):
        r = client.post(path, json=bad, headers=own)
        assert r.status_code == 422, (bad, r.text)
    r = client.post(path, json=done, headers=own)
    assert r.status_code == 201, r.text
    record = r.json()
    assert record["work_order_id"] == yearly["id"]
    assert record["items"] == done["items"]
    assert client.post(path, json=done, headers=own).status_code == 409
    assert (
        client.post("/api/v1/work-orders/99999999/complete", json=done, headers=own).status_code
        == 404
    )

    plan = client.get(f"/api/v1/elevators/{world.neglected}/maintenance", headers=own).json()
    assert not any(p["overdue"] for p in plan["plans"])
    assert all(w["state"] == "done" for w in plan["work_orders"])
    with psycopg.connect(world.url, autocommit=True) as conn:
        state = conn.execute(
            "SELECT state FROM alarms WHERE elevator_id = %s AND type = 'maintenance_overdue'",
            (world.neglected,),
        ).fetchone()
        assert state is not None
        assert state[0] == "resolved"
        # the next run keeps it resolved and counts the record towards the on-time rate
        report = recompute(conn, ScoreSettings(), NOW + timedelta(minutes=1))
        assert report.overdue_raised == 0
        active = conn.execute(
            "SELECT count(*) FROM alarms WHERE elevator_id = %s AND type = 'maintenance_overdue'"
            " AND state = 'open'",
            (world.neglected,),
        ).fetchone()
        assert active is not None
        assert active[0] == 0


def test_score_job_runs_at_start(fresh_database_url: str) -> None:
    fleet = generate_fleet(30, 9, NOW.date())
    with psycopg.connect(fresh_database_url) as conn:
        save_fleet(conn, fleet)
        conn.commit()
    job = ScoreJob(fresh_database_url, ScoreSettings(job_interval_s=3600))
    job.start()
    try:
        for _ in range(200):
            if job.runs:
                break
            time.sleep(0.05)
    finally:
        job.stop()
    assert job.runs == 1
    assert job.last_report is not None
    assert job.last_report.elevators == 30
    with psycopg.connect(fresh_database_url) as conn:
        n = conn.execute("SELECT count(*) FROM elevator_scores").fetchone()
    assert n is not None
    assert n[0] == 30
