"""Access control, endpoint by endpoint: 401 without credentials, 403 for a role that may
not use the endpoint, 404 for another company's objects, and nothing of another company
in any list."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import psycopg
import pytest

from alarms.repository import raise_alarm
from domain.alarms import AlarmType
from tests.browser.seed import (
    SeededFleet,
    api_server,
    insert_telemetry,
    login_token,
    seed_fleet,
    token,
)

pytestmark = pytest.mark.integration

ROLES = ("admin", "supervisor", "desk", "company1", "company2", "rescuer")


@dataclass
class World:
    base: str
    url: str
    fleet: SeededFleet
    tokens: dict[str, str]
    alarm_c1: int
    alarm_c2: int
    case_c1: int
    case_c2: int

    def client(self, who: str | None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}
        return httpx.Client(base_url=self.base, headers=headers, timeout=10)

    def get(self, who: str | None, path: str, **kw: object) -> httpx.Response:
        with self.client(who) as c:
            return c.get(path, **kw)  # type: ignore[arg-type]

    def post(self, who: str | None, path: str, **kw: object) -> httpx.Response:
        with self.client(who) as c:
            return c.post(path, **kw)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def world(make_database: Callable[[], str]) -> Iterator[World]:
    url = make_database()
    fleet = seed_fleet(url, per_district=3)
    c1, c2 = fleet.of_company(1)[0], fleet.of_company(2)[0]
    now = datetime.now(UTC)
    with psycopg.connect(url, autocommit=True) as conn:
        a1 = raise_alarm(conn, c1, AlarmType.DOOR_FAILS_TO_CLOSE, now, "test").id
        a2 = raise_alarm(conn, c2, AlarmType.DOOR_FAILS_TO_CLOSE, now, "test").id
        cases = []
        for eid, rescuer in ((c1, 1), (c2, None)):
            row = conn.execute(
                "INSERT INTO rescue_cases (elevator_id, source, rescuer_id, trapped_since)"
                " VALUES (%s, 'hotline', %s, now()) RETURNING id",
                (eid, rescuer),
            ).fetchone()
            assert row is not None
            cases.append(int(row[0]))
        conn.execute(
            "INSERT INTO dead_letters (topic, reason, payload, payload_size)"
            " VALUES ('liftwatch/v1/T1/status', 'bad json', '\\x7b7b', 2)"
        )
        insert_telemetry(conn, c1, n=5)
        insert_telemetry(conn, c2, n=5)
    with api_server(url) as server:
        tokens = {r: token(server.base_url, r) for r in ROLES[1:]}
        tokens["admin"] = login_token(server.base_url, "admin")  # through the real login
        yield World(server.base_url, url, fleet, tokens, a1, a2, cases[0], cases[1])


def _company_of_c2(world: World) -> int:
    return world.fleet.of_company(2)[0]


# (path, roles allowed); every other role gets 403, no credentials 401.
READ_ENDPOINTS = [
    ("/api/v1/elevators", {"admin", "supervisor", "desk", "company1", "company2"}),
    ("/api/v1/alarms", {"admin", "supervisor", "desk", "company1", "company2"}),
    (
        "/api/v1/map?bbox=112,22,115,24.5&zoom=10",
        {"admin", "supervisor", "desk", "company1", "company2"},
    ),
    ("/api/v1/indicators", {"admin", "supervisor", "company1", "company2"}),
    ("/api/v1/board/cases", set(ROLES)),
    ("/api/v1/dead-letters", {"admin"}),
    ("/api/v1/users", {"admin"}),
    ("/api/v1/api-keys", {"admin"}),
    ("/api/v1/districts", set(ROLES)),
    ("/api/v1/auth/me", set(ROLES)),
]


@pytest.mark.parametrize(("path", "allowed"), READ_ENDPOINTS)
def test_read_endpoints_by_role(world: World, path: str, allowed: set[str]) -> None:
    assert world.get(None, path).status_code == 401
    r = world.get(None, path, headers={"Authorization": "Bearer not-a-token"})
    assert r.status_code == 401
    for role in ROLES:
        r = world.get(role, path)
        assert r.status_code == (200 if role in allowed else 403), (role, path, r.text)


def test_company_lists_hold_only_own_data(world: World) -> None:
    own = set(world.fleet.of_company(1))
    items = world.get("company1", "/api/v1/elevators?limit=500").json()["items"]
    assert {e["id"] for e in items} == own
    alarms = world.get("company1", "/api/v1/alarms").json()["items"]
    assert [a["id"] for a in alarms] == [world.alarm_c1]
    cases = world.get("company1", "/api/v1/board/cases").json()["items"]
    assert [c["id"] for c in cases] == [world.case_c1]
    geo = world.get("company1", "/api/v1/map?bbox=112,22,115,24.5&zoom=18").json()
    assert geo["meta"]["mode"] == "points"
    assert {f["properties"]["id"] for f in geo["features"]} == own
    ind = world.get("company1", "/api/v1/indicators").json()
    assert ind["total"]["elevators"] == len(own)
    # Supervisors see everything.
    everything = world.get("supervisor", "/api/v1/elevators?limit=500").json()["items"]
    assert len(everything) == len(world.fleet.elevators)
    assert len(world.get("supervisor", "/api/v1/alarms").json()["items"]) == 2


def test_company_may_not_ask_for_another_company(world: World) -> None:
    for path in (
        "/api/v1/elevators?company=2",
        "/api/v1/alarms?company=2",
        "/api/v1/map?bbox=112,22,115,24.5&zoom=10&company=2",
    ):
        r = world.get("company1", path)
        assert r.status_code == 403, path
        assert "只能查看本单位" in r.json()["detail"]


def test_another_companys_objects_are_not_found(world: World) -> None:
    other = _company_of_c2(world)
    for path in (
        f"/api/v1/elevators/{other}",
        f"/api/v1/elevators/{other}/telemetry",
        f"/api/v1/alarms/{world.alarm_c2}",
    ):
        assert world.get("company1", path).status_code == 404, path
        assert world.get("company2", path).status_code == 200, path
        assert world.get("supervisor", path).status_code == 200, path


def test_company_cannot_change_another_companys_alarm(world: World) -> None:
    for action in ("acknowledge", "start", "resolve", "close", "false-alarm"):
        r = world.post("company1", f"/api/v1/alarms/{world.alarm_c2}/{action}")
        assert r.status_code == 404, (action, r.text)
    state = world.get("supervisor", f"/api/v1/alarms/{world.alarm_c2}").json()["state"]
    assert state == "open"


@pytest.mark.parametrize("role", ["supervisor", "rescuer"])
def test_read_only_roles_cannot_act_on_alarms(world: World, role: str) -> None:
    r = world.post(role, f"/api/v1/alarms/{world.alarm_c1}/acknowledge")
    assert r.status_code == 403
    assert world.post(None, f"/api/v1/alarms/{world.alarm_c1}/acknowledge").status_code == 401


def test_rescuer_sees_only_own_cases(world: World) -> None:
    cases = world.get("rescuer", "/api/v1/board/cases").json()["items"]
    assert [c["id"] for c in cases] == [world.case_c1]
    assert (
        world.get("rescuer", f"/api/v1/elevators/{world.fleet.of_company(1)[0]}").status_code == 403
    )


def test_admin_only_management(world: World) -> None:
    body = {"username": "newdesk", "password": "long-enough-pw", "role": "desk"}
    for role in ("supervisor", "desk", "company1", "rescuer"):
        assert world.post(role, "/api/v1/users", json=body).status_code == 403
        assert (
            world.post(role, "/api/v1/api-keys", json={"name": "k", "role": "desk"}).status_code
            == 403
        )
    assert world.post(None, "/api/v1/users", json=body).status_code == 401
    r = world.post("admin", "/api/v1/users", json=body)
    assert r.status_code == 201, r.text
    assert world.post("admin", "/api/v1/users", json=body).status_code == 409
    bad = world.post(
        "admin", "/api/v1/users", json={**body, "username": "comp9", "role": "company"}
    )
    assert bad.status_code == 422
    assert "company id" in bad.json()["detail"]
    unknown = world.post(
        "admin",
        "/api/v1/users",
        json={**body, "username": "comp99", "role": "company", "company_id": 99},
    )
    assert unknown.status_code == 422
    assert "unknown reference" in unknown.json()["detail"]
    login = httpx.post(
        world.base + "/api/v1/auth/token",
        data={"username": "newdesk", "password": "long-enough-pw"},
    )
    assert login.status_code == 200
    assert login.json()["role"] == "desk"


def test_company_api_key_is_scoped_and_revocable(world: World) -> None:
    r = world.post(
        "admin", "/api/v1/api-keys", json={"name": "erp", "role": "company", "company_id": 2}
    )
    assert r.status_code == 201, r.text
    key, key_id = r.json()["key"], r.json()["id"]
    listed = world.get("admin", "/api/v1/api-keys").json()["items"]
    assert all("key" not in k for k in listed)  # the key itself is shown only once
    with httpx.Client(base_url=world.base, headers={"X-API-Key": key}) as c:
        items = c.get("/api/v1/elevators?limit=500").json()["items"]
        assert {e["id"] for e in items} == set(world.fleet.of_company(2))
        assert c.get(f"/api/v1/alarms/{world.alarm_c1}").status_code == 404
        assert c.get("/api/v1/users").status_code == 403
        assert world.get("admin", "/api/v1/api-keys").status_code == 200
        with world.client("admin") as admin:
            assert admin.delete(f"/api/v1/api-keys/{key_id}").status_code == 200
        assert c.get("/api/v1/elevators").status_code == 401
    with httpx.Client(base_url=world.base, headers={"X-API-Key": "lw_wrong"}) as c:
        assert c.get("/api/v1/elevators").status_code == 401
