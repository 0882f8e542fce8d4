"""Hazards (隐患) on real PostgreSQL through the API: the whole life cycle with its trail,
evidence upload limits, the out-of-service order, both escalations, the automatic scan,
and scoping (a company or a user unit never sees another's hazards)."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import psycopg
import pytest

from accounts.repository import Scope, create_user
from api.security import Role, hash_password
from hazards.config import HazardSettings
from hazards.jobs import escalate, scan
from liftwatch.commands.hazards import fault_type_names
from tests.browser.seed import (
    JWT_SECRET,
    PASSWORD,
    USERS,
    SeededFleet,
    api_server,
    seed_fleet,
    token,
)
from tests.fixtures.api_server import ApiServer
from tests.fixtures.users import bearer, user_token

pytestmark = pytest.mark.integration


def png_bytes(size: int = 8) -> bytes:
    """A real PNG image (a grey square)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    raw = b"".join(b"\x00" + b"\x80" * size for _ in range(size))
    header = struct.pack(">IIBBBBB", size, size, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


@dataclass
class Env:
    server: ApiServer
    fleet: SeededFleet
    url: str
    client: httpx.Client
    unit_elevators: dict[int, list[int]]

    def auth(self, user: str) -> dict[str, str]:
        if user.startswith("company") and user not in USERS:  # no seeded user: a row of its own
            return bearer(user_token(self.url, JWT_SECRET, Role.COMPANY, company=int(user[7:])))
        return bearer(token(self.server.base_url, user))  # a seeded user, logged in

    def post(self, user: str, path: str, **kw: object) -> httpx.Response:
        return self.client.post(path, headers=self.auth(user), **kw)  # type: ignore[arg-type]

    def get(self, user: str, path: str, **kw: object) -> httpx.Response:
        return self.client.get(path, headers=self.auth(user), **kw)  # type: ignore[arg-type]

    def step(self, user: str, hazard: int, action: str, **body: object) -> httpx.Response:
        return self.post(user, f"/api/v1/hazards/{hazard}/actions", json={"action": action, **body})

    def report(
        self, user: str, elevator: int, category: str = "brake", **body: object
    ) -> dict[str, Any]:
        r = self.post(
            user,
            "/api/v1/hazards",
            json={
                "elevator_id": elevator,
                "source": "spot_check",
                "category": category,
                "description": "制动器间隙超标",
                **body,
            },
        )
        assert r.status_code == 201, r.text
        found: dict[str, Any] = r.json()
        return found


@pytest.fixture(scope="module")
def env(
    make_database: Callable[[], str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Env]:
    url = make_database()
    fleet = seed_fleet(url)
    units: dict[int, list[int]] = {1: [], 2: []}
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO user_units (id, name, management_level) VALUES (2, '第二物业', 3)"
        )
        for eid in sorted(fleet.elevators):
            unit = 2 if eid % 2 == 0 else 1
            conn.execute("UPDATE elevators SET user_unit_id = %s WHERE id = %s", (unit, eid))
            units[unit].append(eid)
        hashed = hash_password(PASSWORD)  # the seeded users' password: they log in alike
        create_user(conn, "unit1", hashed, Scope("user_unit", user_unit_id=1))
        create_user(conn, "unit2", hashed, Scope("user_unit", user_unit_id=2))
    server = api_server(url)
    server_app: Any = server._server.config.app
    server_app.state.hazard_settings = HazardSettings(
        evidence_dir=tmp_path_factory.mktemp("evidence"), evidence_max_bytes=64 * 1024
    )
    with server, httpx.Client(base_url=server.base_url, timeout=30) as c:
        yield Env(server, fleet, url, c, units)


def elevator_of(env: Env, company: int, unit: int, index: int = 0) -> int:
    return [e for e in env.unit_elevators[unit] if env.fleet.elevators[e] == company][index]


def test_whole_life_cycle_with_evidence_and_trail(env: Env) -> None:
    elevator = elevator_of(env, 1, 1)
    h = env.report("supervisor", elevator)
    assert (h["grade"], h["party"], h["state"]) == ("serious", "company", "reported")
    due = datetime.fromisoformat(h["due_at"]) - datetime.fromisoformat(h["reported_at"])
    assert due == timedelta(days=7)
    hid = h["id"]
    # Another company does not even see it; the responsible company may not verify.
    assert env.get("company2", f"/api/v1/hazards/{hid}").status_code == 404
    assert env.step("company2", hid, "assign", party="company").status_code == 404
    assert env.step("company1", hid, "verify").status_code == 403
    assert env.step("company1", hid, "start").status_code == 409  # not assigned yet
    assert env.step("supervisor", hid, "assign", party="company").status_code == 200
    assert env.step("unit1", hid, "start").status_code == 403  # the company's hazard
    assert env.step("company1", hid, "start").json()["state"] == "remediating"
    # Remediation needs evidence; evidence is checked by size and by content.
    r = env.step("company1", hid, "remediate", note="已调整")
    assert r.status_code == 409
    assert r.json()["detail"] == "请先上传整改证据"  # zh-CN by default (docs/ui.md)
    big = b"\x89PNG\r\n\x1a\n" + b"\0" * (64 * 1024)
    files = {"file": ("big.png", big, "image/png")}
    r = env.post("company1", f"/api/v1/hazards/{hid}/evidence", files=files)
    assert r.status_code == 413
    assert r.json()["detail"].startswith("文件大小 ")  # in the caller's language too
    fake = {"file": ("photo.jpg", b"MZ\x90\x00 not a photo at all", "image/jpeg")}
    r = env.post("company1", f"/api/v1/hazards/{hid}/evidence", files=fake)
    assert r.status_code == 415
    assert r.json()["detail"] == "仅支持 JPEG、PNG、WebP 照片和 PDF 文件"
    misnamed = {"file": ("photo.jpg", png_bytes(), "image/jpeg")}
    assert (
        env.post("company1", f"/api/v1/hazards/{hid}/evidence", files=misnamed).status_code == 415
    )
    good = {"file": ("制动器.png", png_bytes(), "image/png")}
    r = env.post("company1", f"/api/v1/hazards/{hid}/evidence", files=good)
    assert r.status_code == 201, r.text
    evidence = r.json()
    assert evidence["media_type"] == "image/png"
    got = env.get("supervisor", f"/api/v1/hazards/{hid}/evidence/{evidence['id']}")
    assert got.status_code == 200
    assert got.content == png_bytes()
    assert (
        env.get("company2", f"/api/v1/hazards/{hid}/evidence/{evidence['id']}").status_code == 404
    )
    assert env.step("company1", hid, "remediate", note="已调整").json()["state"] == "remediated"
    # The supervisor sends it back (a note is required), then verifies and closes.
    assert env.step("supervisor", hid, "send_back").status_code == 422
    back = env.step("supervisor", hid, "send_back", note="照片不清晰")
    assert back.json()["state"] == "remediating"
    assert back.json()["remediated_at"] is None
    assert env.step("company1", hid, "remediate").json()["state"] == "remediated"
    assert env.step("company1", hid, "close").status_code == 403
    assert env.step("supervisor", hid, "verify").json()["state"] == "verified"
    closed = env.step("supervisor", hid, "close")
    assert closed.json()["state"] == "closed"
    assert env.step("supervisor", hid, "assign", party="company").status_code == 409
    detail = env.get("company1", f"/api/v1/hazards/{hid}").json()
    actions = [t["action"] for t in detail["trail"]]
    assert actions == [
        "report",
        "assign",
        "start",
        "evidence",
        "remediate",
        "send_back",
        "remediate",
        "verify",
        "close",
    ]
    assert detail["trail"][3]["evidence_id"] == evidence["id"]
    assert {t["actor"] for t in detail["trail"]} >= {"supervisor:supervisor", "company:company1"}
    assert len(detail["files"]) == 1
    with psycopg.connect(env.url, autocommit=True) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("UPDATE hazard_trail SET actor = 'x' WHERE hazard_id = %s", (hid,))
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("DELETE FROM hazard_evidence WHERE hazard_id = %s", (hid,))


def test_grading_rules_and_regrading(env: Env) -> None:
    elevator = elevator_of(env, 2, 1)
    h = env.report("supervisor", elevator, category="signage", description="安全须知缺失")
    assert (h["grade"], h["party"]) == ("general", "user_unit")
    assert env.step("supervisor", h["id"], "regrade", grade="serious").status_code == 422  # no note
    r = env.step("supervisor", h["id"], "regrade", grade="serious", note="位于医院")
    assert r.json()["grade"] == "serious"
    due = datetime.fromisoformat(r.json()["due_at"]) - datetime.fromisoformat(h["reported_at"])
    assert due == timedelta(days=7)
    # Only a supervisor sets the grade when reporting.
    r = env.post(
        "company2",
        "/api/v1/hazards",
        json={
            "elevator_id": elevator,
            "source": "maintenance",
            "category": "door",
            "description": "门刀磨损",
            "grade": "general",
        },
    )
    assert r.status_code == 422
    r = env.post(
        "company2",
        "/api/v1/hazards",
        json={
            "elevator_id": elevator,
            "source": "spot_check",
            "category": "door",
            "description": "门刀磨损",
        },
    )
    assert r.status_code == 403  # a company reports its own visits' findings only


def test_serious_hazard_orders_the_elevator_out_of_service(env: Env) -> None:
    elevator = elevator_of(env, 3, 2)
    general = env.report("supervisor", elevator, category="door", description="门缝偏大")
    assert env.step("supervisor", general["id"], "out_of_service", note="x").status_code == 422
    serious = env.report("supervisor", elevator, category="safety_device", description="限速器失效")
    assert env.step(
        "company3" if False else "company1", serious["id"], "out_of_service"
    ).status_code in (403, 404)
    r = env.step("supervisor", serious["id"], "out_of_service", note="立即停用")
    assert r.status_code == 200
    assert r.json()["out_of_service"] is True
    with psycopg.connect(env.url) as conn:
        assert conn.execute(
            "SELECT in_service FROM elevators WHERE id = %s", (elevator,)
        ).fetchone() == (False,)
    layer = env.get("supervisor", "/api/v1/hazards/map").json()
    marked = [f for f in layer["features"] if f["properties"]["id"] == serious["id"]]
    assert marked
    assert marked[0]["properties"]["out_of_service"] is True
    assert marked[0]["properties"]["grade"] == "serious"
    assert (
        env.step("supervisor", serious["id"], "return_to_service", note="临时恢复").json()[
            "out_of_service"
        ]
        is False
    )
    with psycopg.connect(env.url) as conn:
        assert conn.execute(
            "SELECT in_service FROM elevators WHERE id = %s", (elevator,)
        ).fetchone() == (True,)
    env.step("supervisor", serious["id"], "out_of_service", note="再次停用")
    # Closing the hazard lifts the order.
    hid = serious["id"]
    env.step("supervisor", hid, "assign", party="company")
    env.step("company3", hid, "start")
    files = {
        "file": (
            "fix.pdf",
            b"%PDF-1.4\n%\xe2\xe3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF",
            "application/pdf",
        )
    }
    assert env.post("company3", f"/api/v1/hazards/{hid}/evidence", files=files).status_code == 201
    env.step("company3", hid, "remediate")
    env.step("supervisor", hid, "verify")
    assert env.step("supervisor", hid, "close").json()["out_of_service"] is False
    with psycopg.connect(env.url) as conn:
        assert conn.execute(
            "SELECT in_service FROM elevators WHERE id = %s", (elevator,)
        ).fetchone() == (True,)


def test_deadlines_escalate_twice_idempotently(env: Env) -> None:
    elevator = elevator_of(env, 1, 2)
    h = env.report("supervisor", elevator, category="door_lock", description="门锁啮合不足")
    hid = h["id"]
    reported = datetime.fromisoformat(h["reported_at"])
    with psycopg.connect(env.url, autocommit=True) as conn:
        first = escalate(conn, reported + timedelta(days=6))
        assert hid not in [e[0] for e in first.escalated]
        late = reported + timedelta(days=7, hours=1)
        one = escalate(conn, late)
        assert (hid, 1) in one.escalated
        assert escalate(conn, late + timedelta(hours=1)).escalated == []  # idempotent
        alarm = conn.execute(
            "SELECT state, detail->>'hazard_id' FROM alarms WHERE elevator_id = %s"
            " AND type = 'hazard_overdue'",
            (elevator,),
        ).fetchall()
        assert alarm == [("open", str(hid))]
        assert (hid, 2) in escalate(conn, reported + timedelta(days=14, hours=1)).escalated
        assert escalate(conn, reported + timedelta(days=15)).escalated == []
        trail = conn.execute(
            "SELECT detail->>'level' FROM hazard_trail WHERE hazard_id = %s AND action = 'escalate'"
            " ORDER BY id",
            (hid,),
        ).fetchall()
        assert trail == [("1",), ("2",)]
    detail = env.get("supervisor", f"/api/v1/hazards/{hid}").json()
    assert detail["escalation"] == 2  # (overdue is judged against the real clock)
    alarms = env.get("supervisor", "/api/v1/alarms", params={"type": "hazard_overdue"})
    assert alarms.status_code == 200
    assert any(a["elevator_id"] == elevator for a in alarms.json()["items"])
    # Remediated: the next run resolves the alarm.
    env.step("supervisor", hid, "assign", party="company")
    env.step("company1", hid, "start")
    env.post(
        "company1",
        f"/api/v1/hazards/{hid}/evidence",
        files={"file": ("a.png", png_bytes(), "image/png")},
    )
    assert env.step("company1", hid, "remediate").status_code == 200
    with psycopg.connect(env.url, autocommit=True) as conn:
        assert escalate(conn, reported + timedelta(days=16)).alarms_resolved >= 1
        state = conn.execute(
            "SELECT state FROM alarms WHERE elevator_id = %s AND type = 'hazard_overdue'",
            (elevator,),
        ).fetchone()
        assert state == ("resolved",)


def test_automatic_scan_is_idempotent(env: Env) -> None:
    lapsed, recurring = elevator_of(env, 2, 2), elevator_of(env, 3, 1)
    now = datetime.now(UTC)
    with psycopg.connect(env.url, autocommit=True) as conn:
        conn.execute(
            "UPDATE elevators SET inspection_valid_until = %s, insurance_expiry = %s WHERE id = %s",
            (now.date() - timedelta(days=3), now.date() - timedelta(days=1), lapsed),
        )
        for day in (2, 9, 20):
            at = now - timedelta(days=day)
            conn.execute(
                "INSERT INTO alarms (elevator_id, type, severity, source, opened_at, last_seen_at,"
                " state) VALUES (%s, 'door_fails_to_close', 2, 'test', %s, %s, 'closed')",
                (recurring, at, at),
            )
        first = scan(conn, now, HazardSettings(), fault_type_names())
        second = scan(conn, now + timedelta(hours=1), HazardSettings(), fault_type_names())
        rows = conn.execute(
            "SELECT elevator_id, rule, grade, party FROM hazards WHERE source = 'automatic'"
            " AND elevator_id = ANY(%s) ORDER BY 1, 2",
            ([lapsed, recurring],),
        ).fetchall()
    assert first.created["inspection_expired"] >= 1
    assert first.created["recurring_fault"] >= 1
    assert second.total_created() == 0
    assert (lapsed, "inspection_expired", "serious", "user_unit") in rows
    assert (lapsed, "insurance_lapsed", "general", "user_unit") in rows
    assert (recurring, "recurring_fault", "general", "company") in rows
    assert len(rows) == len(set((r[0], r[1]) for r in rows))


def test_user_units_see_only_their_own(env: Env) -> None:
    mine, theirs = elevator_of(env, 1, 1, 1), elevator_of(env, 1, 2, 1)
    own = env.report("supervisor", mine, category="machine_room", description="机房堆放杂物")
    other = env.report("supervisor", theirs, category="machine_room", description="机房门未锁")
    assert own["party"] == "user_unit"
    listed = {h["id"] for h in env.get("unit1", "/api/v1/hazards", params={"limit": 500}).json()}
    assert own["id"] in listed
    assert other["id"] not in listed
    assert all(
        h["elevator_id"] in env.unit_elevators[1]
        for h in env.get("unit1", "/api/v1/hazards", params={"limit": 500}).json()
    )
    assert env.get("unit1", f"/api/v1/hazards/{other['id']}").status_code == 404
    assert env.step("unit1", other["id"], "start").status_code == 404
    layer = env.get("unit1", "/api/v1/hazards/map").json()
    assert {f["properties"]["elevator_id"] for f in layer["features"]} <= set(env.unit_elevators[1])
    # The unit remediates its own hazard.
    env.step("supervisor", own["id"], "assign", party="user_unit")
    assert env.step("unit1", own["id"], "start").status_code == 200
    r = env.post(
        "unit1",
        f"/api/v1/hazards/{own['id']}/evidence",
        files={"file": ("clean.png", png_bytes(), "image/png")},
    )
    assert r.status_code == 201
    assert env.step("unit1", own["id"], "remediate").json()["state"] == "remediated"
    # Reporting on another unit's elevator: as if it did not exist.
    r = env.post(
        "unit1",
        "/api/v1/hazards",
        json={
            "elevator_id": theirs,
            "source": "complaint",
            "category": "other",
            "description": "异响",
        },
    )
    assert r.status_code == 404
    # Units, staff and records: only its own.
    assert [u["id"] for u in env.get("unit1", "/api/v1/units").json()] == [1]
    assert env.get("unit1", "/api/v1/units/2").status_code == 404
    assert env.get("unit1", "/api/v1/units/2/checks").status_code == 404
    assert env.get("unit1", "/api/v1/units/2/staff").status_code == 404
    day = datetime.now(UTC).date()
    items = {k: True for k in ("run", "door", "alarm", "light", "notice")}
    r = env.post(
        "unit2",
        "/api/v1/units/1/checks",
        json={"kind": "daily", "day": str(day), "elevator_id": mine, "results": items},
    )
    assert r.status_code == 404
    r = env.post(
        "unit1",
        "/api/v1/units/1/checks",
        json={"kind": "daily", "day": str(day), "elevator_id": theirs, "results": items},
    )
    assert r.status_code == 404  # not its elevator
    assert env.get("unit1", "/api/v1/units/completion").json()[0]["user_unit_id"] == 1
    assert env.get("company1", "/api/v1/units").status_code == 403
    # The existing company-scoped routes show a user unit nothing.
    assert env.get("unit1", "/api/v1/elevators").status_code == 403


def test_unit_records_checks_and_completion(env: Env) -> None:
    today = datetime.now(UTC).date()
    elevator = env.unit_elevators[2][0]
    items = {"run": True, "door": False, "alarm": True, "light": True, "notice": True}
    r = env.post(
        "unit2",
        "/api/v1/units/2/checks",
        json={"kind": "daily", "day": str(today), "elevator_id": elevator, "results": items},
    )
    assert r.status_code == 201, r.text
    assert r.json()["problems"] == 1
    again = env.post(
        "unit2",
        "/api/v1/units/2/checks",
        json={"kind": "daily", "day": str(today), "elevator_id": elevator, "results": items},
    )
    assert again.status_code == 409
    missing = env.post(
        "unit2",
        "/api/v1/units/2/checks",
        json={
            "kind": "daily",
            "day": str(today),
            "elevator_id": elevator,
            "results": {"run": True},
        },
    )
    assert missing.status_code == 422
    meeting = {"review": True, "hazards": True, "plan": True}
    no_minutes = env.post(
        "unit2",
        "/api/v1/units/2/checks",
        json={"kind": "monthly", "day": str(today), "results": meeting},
    )
    assert no_minutes.status_code == 422
    ok = env.post(
        "unit2",
        "/api/v1/units/2/checks",
        json={
            "kind": "monthly",
            "day": str(today),
            "results": meeting,
            "minutes": "本月无重大隐患；门锁检查安排在下周完成。",
        },
    )
    assert ok.status_code == 201
    assert ok.json()["period_start"] == str(today.replace(day=1))
    staff = env.post(
        "unit2",
        "/api/v1/units/2/staff",
        json={
            "duty": "director",
            "name": "王总监",
            "certificate_no": "TS-001",
            "certificate_valid_until": str(today + timedelta(days=300)),
        },
    )
    assert staff.status_code == 201
    listed = env.get("unit2", "/api/v1/units/2/staff").json()
    assert listed[0]["certificate_valid"] is True
    completion = env.get("supervisor", "/api/v1/units/completion").json()
    unit2 = next(c for c in completion if c["user_unit_id"] == 2)
    assert unit2["overall"] is not None
    assert 0 < unit2["overall"] < 1
    assert unit2["staffed"] is False  # a director but no officer yet
    csv_text = env.get("supervisor", "/api/v1/units/completion.csv").text
    assert "日管控" in csv_text
    assert "\n2," in csv_text
