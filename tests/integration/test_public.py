"""一梯一码 on real servers: the public page, reports -> one rescue case, tickets scoped
to the company, rate limits, rotation, blocking, export, and a flood of reports."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx
import psycopg
import pytest

from public.code_service import issue_codes
from tests.browser.public_seed import seed_public
from tests.browser.seed import SeededFleet, api_server, seed_fleet, token
from tests.fixtures.api_server import ApiServer

pytestmark = pytest.mark.integration


@dataclass
class Env:
    server: ApiServer
    fleet: SeededFleet
    url: str
    codes: dict[int, str]
    client: httpx.Client

    def auth(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token(self.server.base_url, user)}"}

    def report(self, elevator: int, address: str, **body: Any) -> httpx.Response:
        return self.client.post(
            f"/api/public/e/{self.codes[elevator]}/reports",
            json=body,
            headers={"X-Forwarded-For": address},
        )


@pytest.fixture(scope="module")
def env(make_database: Callable[[], str]) -> Iterator[Env]:
    url = make_database()
    fleet = seed_fleet(url)
    codes = seed_public(url)
    with api_server(url) as server, httpx.Client(base_url=server.base_url, timeout=30) as c:
        yield Env(server, fleet, url, codes, c)


def company_elevator(env: Env, company: int, index: int) -> int:
    return env.fleet.of_company(company)[index]


def test_public_page_shows_the_posted_fields_and_nothing_internal(env: Env) -> None:
    elevator = company_elevator(env, 1, 0)
    r = env.client.get(f"/api/public/e/{env.codes[elevator]}")
    assert r.status_code == 200, r.text
    page = r.json()
    assert page["registration_code"] == f"440{elevator:07d}"
    assert page["company_phone"] == "020-80000001"
    assert page["hotline"] == "96333"
    assert page["safety_officer_name"]
    assert page["safety_officer_phone"]
    assert page["status"] == "in_service"
    assert page["code_current"] is True
    assert page["last_maintenance"]
    assert page["next_maintenance_due"]
    assert page["inspection_valid_until"]
    assert isinstance(page["insured"], bool)
    for internal in ("elevator_id", "company_id", "id", "factors", "mode", "lon", "lat"):
        assert internal not in page
    assert env.client.get("/api/public/e/doesnotexist1").status_code == 404
    html = env.client.get(f"/e/{env.codes[elevator]}")
    assert html.status_code == 200
    assert "/static/public.js" in html.text
    assert "<script>" not in html.text  # no inline script


def test_entrapment_reports_open_one_case_and_show_progress(env: Env) -> None:
    elevator = company_elevator(env, 1, 1)
    first = env.report(elevator, "10.1.0.1", kind="entrapment", phone="13800000000")
    second = env.report(elevator, "10.1.0.2", kind="entrapment")
    assert first.status_code == second.status_code == 201, first.text
    with psycopg.connect(env.url) as conn:
        cases = conn.execute(
            "SELECT id, source, caller_phone FROM rescue_cases WHERE elevator_id = %s",
            (elevator,),
        ).fetchall()
    assert len(cases) == 1
    assert cases[0][1] == "hotline"
    assert cases[0][2] == "13800000000"
    case_id = int(cases[0][0])
    progress = env.client.get(f"/api/public/reports/{first.json()['token']}").json()
    assert progress["kind"] == "entrapment"
    assert progress["rescue"]["state"] in (
        "reported",
        "offered",
    )
    assert "case_id" not in progress
    assert "rescuer_id" not in str(progress)
    desk = env.auth("desk")
    for action in ("accept", "arrive"):
        r = env.client.post(
            f"/api/v1/cases/{case_id}/{action}", json={"rescuer_id": 1}, headers=desk
        )
        assert r.status_code == 200, r.text
    progress = env.client.get(f"/api/public/reports/{second.json()['token']}").json()
    assert progress["rescue"]["accepted_at"]
    assert progress["rescue"]["arrived_at"]
    assert progress["rescue"]["eta_at"]
    page = env.client.get(f"/api/public/e/{env.codes[elevator]}").json()
    assert page["status"] == "rescue"


def test_complaint_reaches_its_company_and_the_supervisor_only(env: Env) -> None:
    elevator = company_elevator(env, 2, 0)
    r = env.report(elevator, "10.2.0.1", kind="complaint", category="dirty", description="脏")
    assert r.status_code == 201, r.text
    link = r.json()["token"]
    mine = env.client.get("/api/v1/public/tickets", headers=env.auth("company2")).json()
    ticket = next(t for t in mine if t["elevator_id"] == elevator)
    assert ticket["kind"] == "complaint"
    assert ticket["state"] == "open"
    assert not ticket["overdue"]
    others = env.client.get("/api/v1/public/tickets", headers=env.auth("company1")).json()
    assert all(t["company_id"] == 1 for t in others)
    every = env.client.get("/api/v1/public/tickets", headers=env.auth("supervisor")).json()
    assert any(t["id"] == ticket["id"] for t in every)
    path = f"/api/v1/public/tickets/{ticket['id']}/answer"
    wrong = env.client.post(path, json={"answer": "not ours"}, headers=env.auth("company1"))
    assert wrong.status_code == 404
    body = {"answer": "已安排清洁 Cleaned today"}
    assert env.client.post(path, json=body, headers=env.auth("company2")).status_code == 200
    assert env.client.post(path, json=body, headers=env.auth("company2")).status_code == 409
    progress = env.client.get(f"/api/public/reports/{link}").json()
    assert progress["ticket_state"] == "answered"
    assert progress["answer"] == body["answer"]


def test_rate_limit_per_address(env: Env) -> None:
    elevator = company_elevator(env, 3, 0)
    answers = [env.report(elevator, "10.3.0.1", kind="fault").status_code for _ in range(7)]
    assert answers[:5] == [201] * 5
    assert answers[5:] == [429, 429]
    assert env.report(elevator, "10.3.0.2", kind="fault").status_code == 201


def test_rotation_keeps_old_codes_working_but_marked(env: Env) -> None:
    elevator = company_elevator(env, 3, 1)
    old = env.codes[elevator]
    district = env.fleet.districts[elevator]
    with psycopg.connect(env.url, autocommit=True) as conn:
        issued, rotated = issue_codes(conn, district, rotate=True)
        row = conn.execute(
            "SELECT code FROM public_codes WHERE elevator_id = %s AND retired_at IS NULL",
            (elevator,),
        ).fetchone()
        current = conn.execute(
            "SELECT elevator_id, code FROM public_codes WHERE retired_at IS NULL"
        ).fetchall()
    assert issued == 0
    assert rotated >= 1
    assert row is not None
    assert row[0] != old
    assert env.client.get(f"/api/public/e/{old}").json()["code_current"] is False
    assert env.client.get(f"/api/public/e/{row[0]}").json()["code_current"] is True
    r = env.client.post(
        f"/api/public/e/{old}/reports",
        json={"kind": "fault"},
        headers={"X-Forwarded-For": "10.4.0.1"},
    )
    assert r.status_code == 201
    assert r.json()["stale_code"] is True
    env.codes.update({int(e): str(c) for e, c in current})


def test_desk_dismisses_and_blocks_a_prank_source(env: Env) -> None:
    elevator = company_elevator(env, 1, 2)
    r = env.report(elevator, "10.5.0.9", kind="fault", category="noise")
    assert r.status_code == 201
    desk = env.auth("desk")
    sources = env.client.get("/api/v1/public/sources", headers=desk).json()
    assert any(s["source"] == "10.5.0.9" for s in sources)
    reports = env.client.get("/api/v1/public/reports?source=10.5.0.9", headers=desk).json()
    assert len(reports) == 1
    dismissed = env.client.post(f"/api/v1/public/reports/{reports[0]['id']}/dismiss", headers=desk)
    assert dismissed.status_code == 204
    ticket = reports[0]["ticket_id"]
    every = env.client.get("/api/v1/public/tickets", headers=env.auth("supervisor")).json()
    assert next(t for t in every if t["id"] == ticket)["state"] == "dismissed"
    blocked = env.client.post("/api/v1/public/blocked", json={"source": "10.5.0.9"}, headers=desk)
    assert blocked.status_code == 204
    assert env.report(elevator, "10.5.0.9", kind="fault").status_code == 403
    company = env.client.post(
        "/api/v1/public/blocked", json={"source": "x"}, headers=env.auth("company1")
    )
    assert company.status_code == 403
    assert env.client.delete("/api/v1/public/blocked/10.5.0.9", headers=desk).status_code == 204


def test_export_indicators_and_sticker(env: Env) -> None:
    supervisor = env.auth("supervisor")
    data = env.client.get("/api/v1/public/export", headers=supervisor).json()
    assert len(data["elevators"]) == len(env.fleet.elevators)
    assert "company_id" not in data["elevators"][0]
    csv = env.client.get("/api/v1/public/export?format=csv", headers=supervisor)
    assert csv.status_code == 200
    assert csv.text.count("\n") == len(env.fleet.elevators) + 1
    mine = env.client.get("/api/v1/public/export", headers=env.auth("company1")).json()
    assert len(mine["elevators"]) == len(env.fleet.of_company(1))
    counts = env.client.get("/api/v1/public/indicators", headers=supervisor).json()
    assert {c["kind"] for c in counts} >= {"entrapment", "fault", "complaint"}
    elevator = company_elevator(env, 1, 0)
    svg = env.client.get(f"/api/v1/public/elevators/{elevator}/sticker.svg", headers=supervisor)
    assert svg.status_code == 200
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert env.codes[elevator] in svg.text
    assert "96333" in svg.text
    other = company_elevator(env, 2, 0)
    hidden = env.client.get(
        f"/api/v1/public/elevators/{other}/sticker.svg", headers=env.auth("company1")
    )
    assert hidden.status_code == 404
    assert env.client.get("/api/v1/public/export").status_code == 401


def test_flood_of_reports_makes_one_case_and_bounded_tickets(env: Env) -> None:
    """1,000 reports for one elevator from 1,000 addresses in well under a minute."""
    elevator = company_elevator(env, 2, 1)
    kinds = ["entrapment", "fault", "complaint"]

    def send(i: int) -> int:
        body = {"kind": kinds[i % 3]}
        return env.report(elevator, f"10.9.{i // 250}.{i % 250}", **body).status_code

    with ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(send, range(1000)))
    accepted = statuses.count(201)
    assert set(statuses) <= {201, 429, 503}
    assert 1 <= accepted <= 25  # the per-elevator bucket: 20 a minute (+ refill)
    with psycopg.connect(env.url) as conn:
        cases = conn.execute(
            "SELECT count(*) FROM rescue_cases WHERE elevator_id = %s", (elevator,)
        ).fetchone()
        tickets = conn.execute(
            "SELECT count(*), coalesce(sum(reports), 0) FROM public_tickets WHERE elevator_id = %s",
            (elevator,),
        ).fetchone()
    assert cases == (1,)
    assert tickets is not None
    assert tickets[0] <= 3
