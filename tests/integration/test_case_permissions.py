"""Who may do what, on a real server and database: only the desk ends a case as a false
alarm or cancels it (companies and rescuers request it), a rescuer sees only his own
offers and the caller's details only while involved, and maintenance records cannot be
back-dated (a late one counts late)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import psycopg
import pytest

from api.app import AppConfig
from api.security import Role
from domain.localtime import city_date
from maintenance.config import ScoreSettings
from rescue.config import DispatchSettings
from tests.fixtures.api_server import ApiServer
from tests.fixtures.dispatch import reset, seed
from tests.fixtures.users import bearer, user_token

pytestmark = pytest.mark.integration

SECRET = "p" * 40
PHONE = "139 0000 1234"


class World:
    def __init__(self, url: str, client: httpx.Client) -> None:
        self.url, self.client = url, client

    def auth(self, role: Role, company: int | None = None, rescuer: int | None = None) -> Any:
        return bearer(user_token(self.url, SECRET, role, company, rescuer))


@pytest.fixture(scope="module")
def world(make_database: Callable[[], str]) -> Iterator[World]:
    url = make_database()
    with psycopg.connect(url, autocommit=True) as conn:
        seed(conn)
    config = AppConfig(
        database_url=url,
        mqtt_url=None,
        jwt_secret=SECRET,
        dispatch=DispatchSettings(offer_size=2),
        score=ScoreSettings(record_grace_h=48),
    )
    with ApiServer(config) as server, httpx.Client(base_url=server.base_url, timeout=30) as c:
        yield World(url, c)


@pytest.fixture
def case_id(world: World) -> int:
    reset(world.url)
    r = world.client.post(
        "/api/v1/cases",
        json={"elevator_code": "44010100001", "caller_phone": PHONE, "note": "2 people"},
        headers=world.auth(Role.DESK),
    )
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def _act(world: World, case_id: int, action: str, headers: Any, **body: Any) -> httpx.Response:
    return world.client.post(f"/api/v1/cases/{case_id}/{action}", json=body, headers=headers)


def test_a_company_requests_a_false_alarm_and_the_desk_confirms(world: World, case_id: int) -> None:
    own, desk = world.auth(Role.COMPANY, company=1), world.auth(Role.DESK)
    assert _act(world, case_id, "false-alarm", own).status_code == 403
    assert _act(world, case_id, "cancel", own).status_code == 403
    r = _act(world, case_id, "request-false-alarm", own, reason="tenant says all fine")
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "offered"  # still active
    assert r.json()["end_request"] == "false_alarm"
    board = world.client.get("/api/v1/board/cases", headers=desk).json()["items"]
    shown = next(c for c in board if c["id"] == case_id)
    assert shown["end_request"] == "false_alarm"
    assert shown["timeline"][-1]["step"] == "end_requested"
    assert shown["timeline"][-1]["detail"]["reason"] == "tenant says all fine"
    active = world.client.get("/api/v1/cases", params={"active": True}, headers=desk).json()
    assert [c["id"] for c in active["items"]] == [case_id]
    assert _act(world, case_id, "confirm-request", own).status_code == 403
    r = _act(world, case_id, "confirm-request", desk)
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "false_alarm"
    assert r.json()["end_request"] is None


def test_a_rescuer_requests_a_cancel_and_the_desk_rejects(world: World, case_id: int) -> None:
    r11, desk = world.auth(Role.RESCUER, rescuer=11), world.auth(Role.DESK)
    assert _act(world, case_id, "accept", r11).status_code == 200
    assert _act(world, case_id, "cancel", r11).status_code == 403
    assert _act(world, case_id, "false-alarm", r11).status_code == 403
    r12 = world.auth(Role.RESCUER, rescuer=12)  # offered, not holding it
    assert _act(world, case_id, "request-cancel", r12).status_code == 403
    assert _act(world, case_id, "request-cancel", r11).json()["end_request"] == "cancelled"
    r = _act(world, case_id, "reject-request", desk, reason="passengers still inside")
    assert r.json() == {**r.json(), "state": "accepted", "end_request": None}
    assert _act(world, case_id, "reject-request", desk).status_code == 409  # none pending
    steps = world.client.get(f"/api/v1/cases/{case_id}", headers=desk).json()["timeline"]
    assert [s["step"] for s in steps][-2:] == ["end_requested", "end_request_rejected"]


def test_a_rescuer_sees_only_his_offers_and_the_caller_only_while_involved(
    world: World, case_id: int
) -> None:
    r11, r12 = world.auth(Role.RESCUER, rescuer=11), world.auth(Role.RESCUER, rescuer=12)
    for me, headers in ((11, r11), (12, r12)):
        detail = world.client.get(f"/api/v1/cases/{case_id}", headers=headers).json()
        assert [o["rescuer_id"] for o in detail["offers"]] == [me]
        assert detail["caller_phone"] == PHONE
        assert detail["timeline"][0]["detail"]["caller_phone"] == PHONE
    assert _act(world, case_id, "decline", r11, reason="stuck in traffic").status_code == 200
    after = world.client.get(f"/api/v1/cases/{case_id}", headers=r11).json()
    assert after["caller_phone"] == ""
    assert all("caller_phone" not in s["detail"] for s in after["timeline"])
    assert all("note" not in s["detail"] for s in after["timeline"])
    assert [o["rescuer_id"] for o in after["offers"]] == [11]
    still = world.client.get(f"/api/v1/cases/{case_id}", headers=r12).json()
    assert still["caller_phone"] == PHONE  # r12's offer is still pending
    assert _act(world, case_id, "accept", r12).status_code == 200
    board = world.client.get("/api/v1/board/cases", headers=r12).json()["items"]
    assert [o["rescuer_id"] for c in board for o in c["offers"]] == [12]
    own = world.client.get(f"/api/v1/cases/{case_id}", headers=world.auth(Role.COMPANY, 1))
    assert own.json()["caller_phone"] == PHONE


def _work_order(world: World, due: datetime, issued: datetime) -> int:
    with psycopg.connect(world.url, autocommit=True) as conn:
        conn.execute("UPDATE work_orders SET state = 'cancelled' WHERE state = 'open'")
        row = conn.execute(
            """INSERT INTO work_orders (elevator_id, company_id, level, due_date, created_at)
               VALUES (1, 1, 'half_monthly', %s, %s) RETURNING id""",
            (city_date(due), issued),
        ).fetchone()
    assert row is not None
    return int(row[0])


def _record(started: datetime, ended: datetime) -> dict[str, Any]:
    return {
        "technician": "Li Wei",
        "started_at": started.isoformat(),
        "ended_at": ended.isoformat(),
        "items": ["A1 machine room"],
        "findings": "",
    }


def test_back_dated_records_are_refused_and_a_late_record_counts_late(world: World) -> None:
    own = world.auth(Role.COMPANY, company=1)
    now = datetime.now(UTC)
    # Work done yesterday evening (city time) and due yesterday, but entered today.
    yesterday_evening = datetime.combine(city_date(now), datetime.min.time(), tzinfo=UTC)
    yesterday_evening = yesterday_evening - timedelta(hours=8 + 2)  # 22:00 city time
    order = _work_order(world, yesterday_evening, issued=now - timedelta(days=3))
    path = f"/api/v1/work-orders/{order}/complete"
    too_old = _record(now - timedelta(days=3, hours=-1), now - timedelta(days=2, hours=12))
    r = world.client.post(path, json=too_old, headers=own)
    assert r.status_code == 422
    assert "48 h" in r.json()["detail"]
    before_issue = _record(now - timedelta(days=4), now - timedelta(hours=1))
    r = world.client.post(path, json=before_issue, headers=own)
    assert r.status_code == 422
    assert "issued" in r.json()["detail"]
    late = _record(yesterday_evening - timedelta(hours=1), yesterday_evening)
    r = world.client.post(path, json=late, headers=own)
    assert r.status_code == 201, r.text
    counts = world.client.get("/api/v1/indicators", params={"days": 7}, headers=own).json()
    assert counts["total"]["maintenance_on_time_pct"] == 0.0
    # The same work entered on time (before its due day ended) counts as on time.
    with psycopg.connect(world.url, autocommit=True) as conn:
        conn.execute(
            "UPDATE maintenance_records SET recorded_at = ended_at + interval '10 minutes'"
        )
    counts = world.client.get("/api/v1/indicators", params={"days": 7}, headers=own).json()
    assert counts["total"]["maintenance_on_time_pct"] == 100.0
