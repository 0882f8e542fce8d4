"""The field phones in real Chromium on a 390 x 844 viewport: the rescuer accepts an
offer, checks in with the browser's geolocation, goes offline and online (queued actions
applied once, even when an answer is lost); a far arrival is flagged on the desk's board;
the technician checks in (by position and by code) and finishes with the checklist."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import psycopg
import pytest
from playwright.sync_api import Browser, Page, Route, expect

from accounts.repository import Scope, create_user
from api.security import hash_password
from domain.geo import haversine_m
from maintenance.checkin_items import HALF_MONTHLY
from tests.browser.pages import PHONE, phone, watched_pages
from tests.browser.seed import PASSWORD, SeededFleet, api_server, insert_status, seed_fleet, token
from tests.browser.test_ui import browser, shot  # noqa: F401 - the browser fixture
from tests.fixtures.api_server import ApiServer

pytestmark = [pytest.mark.browser, pytest.mark.integration]

RESCUER_HOME = (113.27, 23.13)  # rescuer 1 (company 1) in tests/browser/seed.py
M_PER_DEG_LAT = 111_320


@pytest.fixture(scope="module")
def site(make_database: Any) -> Iterator[tuple[ApiServer, SeededFleet, str]]:
    url = make_database()
    fleet = seed_fleet(url)
    with psycopg.connect(url, autocommit=True) as conn:
        for eid in fleet.elevators:
            insert_status(conn, eid)
        conn.execute(
            "UPDATE elevators SET address = '天河路 ' || (100 + id) || ' 号 ' || id || ' 号梯'"
        )
        create_user(conn, "tech1", hash_password(PASSWORD), Scope("technician", 1, None))
        for eid, _, _, _ in elevators_near_rescuer(url, fleet)[2:4]:
            conn.execute(
                "INSERT INTO public_codes (code, elevator_id) VALUES (%s, %s)",
                (f"Sticker{eid:05d}", eid),
            )
            conn.execute(
                "INSERT INTO work_orders (elevator_id, company_id, level, due_date)"
                " VALUES (%s, 1, 'half_monthly', current_date + 5)",
                (eid,),
            )
    with api_server(url) as server:
        yield server, fleet, url


def log_in(page: Page, base_url: str, path: str, user: str) -> None:
    page.goto(base_url + path)
    page.fill("#username", user)
    page.fill("#password", PASSWORD)
    page.click("#login-form button[type=submit]")
    expect(page.locator("#whoami")).to_contain_text(user)


def elevators_near_rescuer(url: str, fleet: SeededFleet) -> list[tuple[int, str, float, float]]:
    """Company 1's elevators (id, code, lon, lat), nearest to its rescuer first."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT id, code, lon, lat FROM elevators WHERE company_id = 1 ORDER BY id"
        ).fetchall()
    found = [(int(r[0]), str(r[1]), float(r[2]), float(r[3])) for r in rows]
    return sorted(found, key=lambda e: haversine_m(e[2], e[3], *RESCUER_HOME))


def open_case(server: ApiServer, code: str, phone: str) -> int:
    desk = {"Authorization": f"Bearer {token(server.base_url, 'desk')}"}
    r = httpx.post(
        f"{server.base_url}/api/v1/cases",
        json={"elevator_code": code, "caller_phone": phone, "people_trapped": 2},
        headers=desk,
    )
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def timeline(url: str, case_id: int) -> list[tuple[str, dict[str, Any]]]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT step, detail FROM case_events WHERE case_id = %s ORDER BY id", (case_id,)
        ).fetchall()
    return [(str(r[0]), dict(r[1])) for r in rows]


def case_state(url: str, case_id: int) -> str:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT state FROM rescue_cases WHERE id = %s", (case_id,)).fetchone()
    assert row is not None
    return str(row[0])


def test_rescuer_accepts_arrives_offline_and_online_in_chinese(
    site: Any,
    browser: Browser,  # noqa: F811 - pytest fixture injection
) -> None:
    server, fleet, url = site
    _eid, code, lon, lat = elevators_near_rescuer(url, fleet)[0]
    with watched_pages(browser) as new:
        page = new(**phone("zh-CN", lon, lat + 40 / M_PER_DEG_LAT))  # 40 m away
        context = page.context
        log_in(page, server.base_url, "/rescuer", "rescuer")
        expect(page.locator("#timer-label")).to_have_text("暂无救援任务")
        expect(page.locator("#net")).to_have_text("在线")
        case_id = open_case(server, code, "13800138000")
        offer = page.locator(f'.offer[data-case="{case_id}"]')
        expect(offer).to_be_visible()
        expect(offer.locator(".countdown")).to_have_text(re.compile(r"^\d+ 秒$"))
        expect(offer).to_contain_text("接受")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        box = offer.locator('button[data-act="accept"]').bounding_box()
        assert box is not None
        assert box["height"] >= 48
        shot(page, "rescuer-offer-zh")

        offer.locator('button[data-act="accept"]').click()
        case = page.locator("#case")
        expect(case).to_have_attribute("data-state", "accepted")
        expect(page.locator("#case-state")).to_have_text("已接单")
        expect(page.locator("#call")).to_have_attribute("href", "tel:13800138000")
        expect(page.locator("#case-trapped")).to_have_text("2 人")
        expect(page.locator("#case-floor")).to_contain_text("3 层")
        amap = page.locator("#nav-amap")
        expect(amap).to_have_attribute(
            "href",
            re.compile(
                r"^https://uri\.amap\.com/marker\?position=113\.\d+,23\.\d+&.*coordinate=gaode"
            ),
        )
        baidu = page.locator("#nav-baidu")
        expect(baidu).to_have_attribute("href", re.compile(r"coord_type=gcj02"))
        expect(page.locator("#timer")).to_have_attribute("data-state", "running")
        expect(page.locator("#timer-label")).to_have_text("距 30 分钟到场时限")
        expect(page.locator("#timer-value")).to_have_text(re.compile(r"^(2\d|30):\d\d$"))
        shot(page, "rescuer-case-zh")

        # The network drops: both taps are kept on the phone, nothing reaches the server.
        context.set_offline(True)
        page.click("#depart")
        expect(page.locator("#net")).to_have_text("离线，1 个操作待发送")
        page.click("#arrive")
        expect(page.locator("#net")).to_have_text("离线，2 个操作待发送")
        expect(case).to_have_attribute("data-state", "on_site")  # shown at once, marked waiting
        expect(page.locator("#case-state")).to_contain_text("待发送")
        shot(page, "rescuer-offline-zh")
        assert case_state(url, case_id) == "accepted"
        context.set_offline(False)
        expect(page.locator("#net")).to_have_text("在线")
        expect(page.locator("#case-state")).to_have_text("已到场")
        assert case_state(url, case_id) == "on_site"
        steps = timeline(url, case_id)
        assert [s for s, _ in steps].count("en_route") == 1
        on_site = [d for s, d in steps if s == "on_site"]
        assert len(on_site) == 1
        assert on_site[0]["far"] is False
        assert 30 < on_site[0]["distance_m"] < 50  # the browser's geolocation, 40 m away
        assert "arrival_far" not in [s for s, _ in steps]

        # The release reaches the server but its answer is lost: the phone keeps it and
        # sends it again; the server answers from the first outcome (applied once).
        answers: list[dict[str, Any]] = []

        def lose_answer(route: Route) -> None:
            answers.append(route.fetch().json())
            route.abort("connectionreset")

        page.route("**/api/v1/rescuers/me/actions", lose_answer, times=1)
        page.fill("#release-people", "2")
        page.fill("#release-note", "盘车至平层，开门放人")
        # The lost answer never reaches the page (no response event), so the first response
        # the page sees is the resend's; waiting for it here also waits for its handler.
        with page.expect_response(
            lambda r: r.url.endswith("/rescuers/me/actions") and r.request.method == "POST",
            timeout=20_000,
        ) as resent:
            page.click("#release-form button[type=submit]")
            expect(page.locator("#case-done")).to_be_visible()
        expect(page.locator("#net")).to_have_text("在线", timeout=20_000)
        assert answers
        assert answers[0]["replayed"] is False
        again = resent.value.json()
        assert again["replayed"] is True
        assert again["kind"] == "release"
        released = [d for s, d in timeline(url, case_id) if s == "released"]
        assert len(released) == 1
        assert released[0]["note"] == "盘车至平层，开门放人"
        assert case_state(url, case_id) == "released"
        shot(page, "rescuer-released-zh")


def test_far_arrival_in_english_is_flagged_for_the_desk(
    site: Any,
    browser: Browser,  # noqa: F811 - pytest fixture injection
) -> None:
    server, fleet, url = site
    _eid, code, lon, lat = elevators_near_rescuer(url, fleet)[1]
    far_lat = lat + 650 / M_PER_DEG_LAT  # 650 m north of the elevator
    with watched_pages(browser) as new:
        page = new(**phone("en-US", lon, far_lat))
        log_in(page, server.base_url, "/rescuer", "rescuer")
        case_id = open_case(server, code, "020-12345678")
        offer = page.locator(f'.offer[data-case="{case_id}"]')
        expect(offer.locator('button[data-act="accept"]')).to_have_text("Accept")
        offer.locator('button[data-act="accept"]').click()
        expect(page.locator("#case")).to_have_attribute("data-state", "accepted")
        expect(page.locator("#timer-label")).to_have_text("Left of the 30-minute arrival limit")
        page.click("#arrive")
        note = page.locator("#arrival-note")
        expect(note).to_be_visible()
        expect(note).to_contain_text("more than 200 m")
        shot(page, "rescuer-far-arrival-en")
        flagged = [d for s, d in timeline(url, case_id) if s == "arrival_far"]
        assert len(flagged) == 1
        assert 630 < flagged[0]["distance_m"] < 670

        desk = new(viewport={"width": 1400, "height": 900}, locale="zh-CN")
        log_in(desk, server.base_url, "/", "desk")
        desk.goto(server.base_url + "/#/desk")
        step = desk.locator(f'[data-case="{case_id}"] li[data-step="arrival_far"]')
        expect(step).to_be_visible()
        shot(desk, "desk-arrival-far")


def order_of(url: str, elevator_id: int) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT id FROM work_orders WHERE elevator_id = %s", (elevator_id,)
        ).fetchone()
    assert row is not None
    return int(row[0])


def checkin_row(url: str, order: int) -> dict[str, Any]:
    with psycopg.connect(url) as conn:
        cur = conn.execute(
            "SELECT k.*, w.state AS order_state FROM maintenance_checkins k"
            " JOIN work_orders w ON w.id = k.work_order_id WHERE k.work_order_id = %s",
            (order,),
        )
        row = cur.fetchone()
        assert row is not None
        names = [c.name for c in cur.description or []]
    return dict(zip(names, row, strict=True))


def tick_mandatory(page: Page) -> None:
    for item in HALF_MONTHLY:
        if item.mandatory:
            page.check(f'#checklist input[data-item="{item.key}"]')


def test_technician_checks_in_and_completes_in_chinese(
    site: Any,
    browser: Browser,  # noqa: F811 - pytest fixture injection
) -> None:
    server, fleet, url = site
    (a, _, a_lon, a_lat), (b, _, b_lon, b_lat) = elevators_near_rescuer(url, fleet)[2:4]
    order_a, order_b = order_of(url, a), order_of(url, b)
    with watched_pages(browser) as new:
        page = new(**phone("zh-CN", a_lon, a_lat + 60 / M_PER_DEG_LAT))
        context = page.context
        log_in(page, server.base_url, "/technician", "tech1")
        first = page.locator(".order").first
        expect(first).to_have_attribute("data-order", str(order_a))  # nearest first
        expect(first).to_contain_text("半月维保")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        shot(page, "technician-orders-zh")

        first.click()
        expect(page.locator("#order")).to_have_attribute("data-state", "open")
        page.click("#checkin-position")
        expect(page.locator("#order")).to_have_attribute("data-state", "working")
        expect(page.locator("#started")).to_contain_text("定位签到")
        expect(page.locator("#checklist .check")).to_have_count(len(HALF_MONTHLY))
        first_item = page.locator('#checklist .check[data-key="A1-01"]')
        expect(first_item).to_contain_text("机房、滑轮间环境")
        page.click("#finish")
        expect(page.locator("#message")).to_contain_text("必检项目未勾选")
        expect(page.locator('#checklist .check[data-key="A1-01"]')).to_have_attribute(
            "data-missing", "true"
        )
        shot(page, "technician-checklist-missing-zh")
        tick_mandatory(page)
        page.fill("#findings", "曳引机运行正常，层门地坎已清洁")
        page.click("#finish")
        expect(page.locator("#order")).to_have_attribute("data-state", "finished")
        expect(page.locator('#proof dd[data-field="on_time"]')).to_have_text("是")
        expect(page.locator('#proof dd[data-field="on_site"]')).to_have_text("是")
        shot(page, "technician-done-zh")
        row = checkin_row(url, order_a)
        assert row["order_state"] == "done"
        assert row["start_method"] == "position"
        assert row["finish_method"] == "position"
        assert 50 < row["start_distance_m"] < 70
        assert 50 < row["finish_distance_m"] < 70
        assert row["start_lat"] == pytest.approx(a_lat + 60 / M_PER_DEG_LAT)
        assert row["finished_at"] >= row["started_at"]
        assert row["on_time"] is True
        assert row["technician"] == "tech1"
        assert row["record_id"] is not None

        # Far from the second elevator: refused by position, accepted with the car's code.
        page.click("#back")
        context.set_geolocation({"longitude": b_lon, "latitude": b_lat + 800 / M_PER_DEG_LAT})
        page.locator(f'.order[data-order="{order_b}"]').click()
        page.click("#checkin-position")
        expect(page.locator("#message")).to_contain_text("未通过")
        expect(page.locator("#message")).to_contain_text("more than 200 m")
        expect(page.locator("#order")).to_have_attribute("data-state", "open")
        shot(page, "technician-refused-far-zh")
        page.fill("#code-input", f"Sticker{b:05d}")
        page.click("#checkin-code")
        expect(page.locator("#order")).to_have_attribute("data-state", "working")
        expect(page.locator("#started")).to_contain_text("扫码签到")
        tick_mandatory(page)
        page.click("#finish")
        expect(page.locator("#order")).to_have_attribute("data-state", "finished")
        row = checkin_row(url, order_b)
        assert row["start_method"] == "code"
        assert row["finish_method"] == "code"
        assert 780 < row["start_distance_m"] < 820  # kept; the code proved presence
