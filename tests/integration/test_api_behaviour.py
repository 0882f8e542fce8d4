"""Alarm lifecycle over the API, input validation (4xx, never 5xx), live map and SSE,
the indicators' arithmetic, and the OpenAPI document."""

from __future__ import annotations

import contextlib
import json
import queue
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta

import httpx
import psycopg
import pytest
from openapi_spec_validator import validate

from alarms.repository import raise_alarm
from domain.alarms import AlarmType
from tests.browser.seed import SeededFleet, api_server, seed_fleet, token

pytestmark = pytest.mark.integration


class Env:
    def __init__(self, base: str, url: str, fleet: SeededFleet, tokens: dict[str, str]) -> None:
        self.base, self.url, self.fleet, self.tokens = base, url, fleet, tokens

    def client(self, who: str) -> httpx.Client:
        return httpx.Client(
            base_url=self.base, headers={"Authorization": f"Bearer {self.tokens[who]}"}, timeout=10
        )


@pytest.fixture(scope="module")
def env(make_database: Callable[[], str]) -> Iterator[Env]:
    url = make_database()
    fleet = seed_fleet(url, per_district=3)
    with api_server(url) as server:
        tokens = {r: token(server.base_url, r) for r in ("admin", "supervisor", "desk", "company1")}
        yield Env(server.base_url, url, fleet, tokens)


def _raise(env: Env, elevator_id: int, kind: AlarmType) -> int:
    with psycopg.connect(env.url) as conn:
        return raise_alarm(conn, elevator_id, kind, datetime.now(UTC), "test").id


def test_alarm_lifecycle_and_conflicts(env: Env) -> None:
    alarm = _raise(env, env.fleet.of_company(1)[1], AlarmType.OVERSPEED)
    with env.client("desk") as c:
        r = c.post(f"/api/v1/alarms/{alarm}/close")
        assert r.status_code == 409
        assert r.json()["detail"] == (  # zh-CN by default, the allowed steps named
            "报警 1 当前为“待处理”，不能执行“关闭”（可执行：确认、标记误报、处置、开始处理）"
        )
        english = c.post(f"/api/v1/alarms/{alarm}/close", headers={"Accept-Language": "en"})
        assert "is open: cannot close" in english.json()["detail"]
        assert "allowed: acknowledge" in english.json()["detail"]
        r = c.post(f"/api/v1/alarms/{alarm}/acknowledge", json={"note": "calling the company"})
        assert r.status_code == 200
        assert r.json()["state"] == "acknowledged"
        assert r.json()["acknowledged_at"] is not None
        assert c.post(f"/api/v1/alarms/{alarm}/acknowledge").status_code == 409
        assert c.post(f"/api/v1/alarms/{alarm}/explode").status_code == 422  # no such step
        assert c.post(f"/api/v1/alarms/{alarm}/start").json()["state"] == "in_progress"
        assert c.post(f"/api/v1/alarms/{alarm}/resolve").json()["state"] == "resolved"
        done = c.post(f"/api/v1/alarms/{alarm}/close").json()
        assert done["state"] == "closed"
        assert done["allowed_actions"] == []
        assert [h["action"] for h in done["history"]] == [
            "acknowledge",
            "start",
            "resolve",
            "close",
        ]
        assert done["history"][0]["note"] == "calling the company"
        assert done["history"][0]["actor"] == "desk"
        r = c.post(f"/api/v1/alarms/{alarm}/false-alarm")
        assert r.status_code == 409
        assert "已结束" in r.json()["detail"]  # the alarm is final
        assert c.post("/api/v1/alarms/999999/acknowledge").status_code == 404
        # A false alarm from open, then closed.
        other = _raise(env, env.fleet.of_company(1)[1], AlarmType.DOOR_FAILS_TO_OPEN)
        assert c.post(f"/api/v1/alarms/{other}/false-alarm").json()["state"] == "false_alarm"
        listed = c.get("/api/v1/alarms", params={"state": "false_alarm"}).json()["items"]
        assert [a["id"] for a in listed] == [other]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/map?bbox=garbage&zoom=10",
        "/api/v1/map?bbox=1,2,3&zoom=10",
        "/api/v1/map?bbox=10,10,5,20&zoom=10",
        "/api/v1/map?bbox=112,22,115,24&zoom=99",
        "/api/v1/map?bbox=112,22,115,24&zoom=10&status=purple",
        "/api/v1/map?bbox=nan,22,115,24&zoom=10",
        "/api/v1/map?zoom=10",
        "/api/v1/elevators?limit=100000",
        "/api/v1/elevators?limit=0",
        "/api/v1/elevators?offset=-1",
        "/api/v1/elevators?status=bogus",
        "/api/v1/elevators/abc",
        "/api/v1/elevators/99999999999",
        "/api/v1/elevators/1/telemetry?minutes=0",
        "/api/v1/elevators/1/telemetry?limit=999999",
        "/api/v1/alarms?state=nonsense",
        "/api/v1/alarms?since=yesterday",
        "/api/v1/alarms?min_severity=9",
        "/api/v1/alarms/99999999999999999999",
        "/api/v1/indicators?group_by=planet",
        "/api/v1/indicators?days=0",
        "/api/v1/dead-letters?since=x",
    ],
)
def test_bad_input_gets_a_clear_4xx(env: Env, path: str) -> None:
    with env.client("admin") as c:
        r = c.get(path)
    assert r.status_code == 422, (path, r.status_code, r.text)
    assert r.json()["detail"]


def test_text_the_database_refuses_is_a_422_without_its_words(env: Env) -> None:
    with env.client("supervisor") as c:
        r = c.get("/api/v1/elevators", params={"district": "Tian\x00he"})
        assert r.status_code == 422
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["detail"] == "数值无效（a value is out of range）"
        assert "NUL" not in r.text  # the database's text stays in the log
        # LIKE wildcards in a code prefix are literal characters, not patterns.
        assert c.get("/api/v1/elevators", params={"code": "%"}).json()["items"] == []
        assert len(c.get("/api/v1/elevators", params={"code": "440000000"}).json()["items"]) == 9


def test_bad_json_bodies_are_4xx(env: Env) -> None:
    with env.client("admin") as c:
        assert c.post("/api/v1/users", content=b"{not json").status_code == 422
        r = c.post("/api/v1/users", json={"username": "x y z", "password": "short", "role": "god"})
        assert r.status_code == 422
        assert c.patch("/api/v1/users/999999", json={"active": False}).status_code == 404


def test_elevator_search_filters_and_pagination(env: Env) -> None:
    with env.client("supervisor") as c:
        page = c.get("/api/v1/elevators", params={"limit": 5}).json()
        assert len(page["items"]) == 5
        assert page["next_offset"] == 5
        rest = c.get("/api/v1/elevators", params={"limit": 500, "offset": 5}).json()
        assert rest["next_offset"] is None
        assert len(rest["items"]) == len(env.fleet.elevators) - 5
        district = c.get("/api/v1/elevators", params={"district": "Tianhe"}).json()["items"]
        assert district
        assert {e["district"] for e in district} == {"Tianhe"}
        by_company = c.get("/api/v1/elevators", params={"company": 3, "limit": 500}).json()
        assert {e["id"] for e in by_company["items"]} == set(env.fleet.of_company(3))
        code = c.get("/api/v1/elevators", params={"code": "4400000007"}).json()["items"]
        assert [e["id"] for e in code] == [7]
        detail = c.get("/api/v1/elevators/7").json()
        assert detail["code"] == "4400000007"
        assert detail["status"] is None


def _sse_reader(
    base: str, tok: str, out: queue.Queue[dict[str, object]], stop: threading.Event
) -> None:
    ticket = httpx.post(
        f"{base}/api/v1/auth/sse-ticket", headers={"Authorization": f"Bearer {tok}"}
    ).json()["ticket"]
    with httpx.stream("GET", f"{base}/api/v1/events", params={"ticket": ticket}, timeout=30) as r:
        assert r.status_code == 200
        event = None
        for line in r.iter_lines():
            if stop.is_set():
                return
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: ") and event not in (None, "hello"):
                out.put(json.loads(line[6:]))
            elif line.startswith("data: ") and event == "hello":
                out.put({"kind": "hello"})


def test_live_events_update_the_map_and_respect_scope(env: Env) -> None:
    assert httpx.get(env.base + "/api/v1/events").status_code == 401
    assert httpx.get(env.base + "/api/v1/events?ticket=bad").status_code == 401
    own, other = env.fleet.of_company(1)[2], env.fleet.of_company(2)[2]
    streams: dict[str, queue.Queue[dict[str, object]]] = {
        "company1": queue.Queue(),
        "desk": queue.Queue(),
    }
    stop = threading.Event()
    threads = [
        threading.Thread(target=_sse_reader, args=(env.base, env.tokens[w], q, stop), daemon=True)
        for w, q in streams.items()
    ]
    for t in threads:
        t.start()
    for q in streams.values():
        assert q.get(timeout=60) == {"kind": "hello"}
    _raise(env, other, AlarmType.ENTRAPMENT)
    _raise(env, own, AlarmType.ENTRAPMENT)

    def collect(q: queue.Queue[dict[str, object]], n: int, wait: float) -> list[dict[str, object]]:
        got: list[dict[str, object]] = []
        deadline = time.monotonic() + wait
        while len(got) < n and time.monotonic() < deadline:
            with contextlib.suppress(queue.Empty):
                got.append(q.get(timeout=0.2))
        return got

    desk = collect(streams["desk"], 2, 60.0)
    assert {e["elevator_id"] for e in desk} == {own, other}
    assert all(e["map_status"] == "entrapment" for e in desk)
    company = collect(streams["company1"], 1, 60.0)
    # The desk's stream had both (one batch): anything for the company is queued by now.
    company += collect(streams["company1"], 1, 0.5)
    assert [e["elevator_id"] for e in company] == [own]  # never the other company's
    stop.set()
    with env.client("supervisor") as c:
        detail = c.get(f"/api/v1/elevators/{own}").json()
        assert detail["map_status"] == "entrapment"
        listed = c.get("/api/v1/elevators", params={"status": "entrapment"}).json()["items"]
        assert {e["id"] for e in listed} == {own, other}


def test_indicators_arithmetic(env: Env) -> None:
    # Yuexiu has 3 elevators; one fault and one entrapment opened there within the period.
    yuexiu = sorted(e for e, d in env.fleet.districts.items() if d == "Yuexiu")
    with psycopg.connect(env.url, autocommit=True) as conn:
        uninsured = conn.execute(
            "SELECT count(*) FROM elevators WHERE district = 'Yuexiu'"
            " AND insurance_expiry < current_date"
        ).fetchone()
        assert uninsured is not None
        conn.execute(
            "INSERT INTO alarms (elevator_id, type, severity, source, opened_at, last_seen_at,"
            " state) VALUES (%s, 'safety_circuit', 3, 't', now() - interval '1 day', now(),"
            " 'closed'), (%s, 'entrapment', 4, 't', now() - interval '2 days', now(), 'closed'),"
            " (%s, 'safety_circuit', 3, 't', now() - interval '60 days', now(), 'closed')",
            (yuexiu[0], yuexiu[1], yuexiu[2]),
        )
        for eid, due_days_ago in ((yuexiu[0], 1), (yuexiu[1], 5)):  # done 3 days ago
            conn.execute(
                "INSERT INTO maintenance_records (elevator_id, company_id, level, technician,"
                " started_at, ended_at, due_date) SELECT id, company_id, 'half_monthly', 'x',"
                " now() - interval '3 days', now() - interval '3 days', %s FROM elevators"
                " WHERE id = %s",
                (date.today() - timedelta(days=due_days_ago), eid),
            )
    with env.client("supervisor") as c:
        data = c.get("/api/v1/indicators", params={"group_by": "district", "days": 30}).json()
    row = next(g for g in data["groups"]["items"] if g["key"] == "Yuexiu")
    assert row["elevators"] == 3
    assert row["faults"] == 1
    assert row["fault_rate_pct"] == pytest.approx(100 / 3, abs=1e-3)
    assert row["entrapments"] == 1
    assert row["entrapment_rate_monthly_pct"] == pytest.approx(100 / 3, abs=1e-3)
    assert row["insured"] == 3 - int(uninsured[0])
    assert row["maintenance_records"] == 2
    assert row["maintenance_on_time_pct"] == 50.0  # one on time, one late
    assert data["insurance_target_pct"] == 92.0
    assert data["total"]["elevators"] == len(env.fleet.elevators)


def test_openapi_document_is_valid(env: Env) -> None:
    doc = httpx.get(env.base + "/openapi.json").json()
    validate(doc)
    paths = doc["paths"]
    for path in ("/api/v1/map", "/api/v1/events", "/api/v1/alarms/{alarm_id}/{step}"):
        assert path in paths
    step = next(
        p for p in paths["/api/v1/alarms/{alarm_id}/{step}"]["post"]["parameters"]
        if p["name"] == "step"
    )  # fmt: skip
    steps = doc["components"]["schemas"][step["schema"]["$ref"].rsplit("/", 1)[1]]["enum"]
    assert steps == ["acknowledge", "start", "resolve", "close", "false-alarm"]
    assert httpx.get(env.base + "/docs").status_code == 200


def test_ui_and_leaflet_are_served_locally(env: Env) -> None:
    index = httpx.get(env.base + "/")
    assert index.status_code == 200
    assert "/vendor/leaflet/leaflet.js" in index.text
    assert "http" not in index.text.replace("http-equiv", "")  # no CDN
    assert httpx.get(env.base + "/vendor/leaflet/leaflet.js").status_code == 200
    assert httpx.get(env.base + "/static/map.js").status_code == 200
    cfg = httpx.get(env.base + "/api/v1/ui-config").json()
    assert cfg["tile_url"] == ""
    assert "entrapment" in cfg["statuses"]
