"""The public page on a phone (390 x 844) in real Chromium: the scanned page shows every
posted field; "I am trapped" opens a case the desk sees within 3 s; the reporter's link
follows the rescuer's acceptance and arrival; a complaint reaches the company and the
supervisor and its answer reaches the reporter."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import psycopg
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.csp import watch_csp
from tests.browser.pages import PHONE
from tests.browser.public_seed import seed_public
from tests.browser.seed import SeededFleet, api_server, insert_status, seed_fleet, token
from tests.browser.test_ui import browser, login, shot  # noqa: F401 - the browser fixture
from tests.fixtures.api_server import ApiServer

pytestmark = [pytest.mark.browser, pytest.mark.integration]

FIELDS = (
    "registration_code",
    "address",
    "district",
    "building_type",
    "user_unit",
    "safety_officer_name",
    "safety_officer_phone",
    "company_name",
    "company_phone",
    "last_maintenance",
    "next_maintenance_due",
    "inspection_valid_until",
    "insured",
    "grade",
    "hotline",
)


@pytest.fixture(scope="module")
def site(
    make_database: Callable[[], str],
) -> Iterator[tuple[ApiServer, SeededFleet, str, dict[int, str]]]:
    url = make_database()
    fleet = seed_fleet(url)
    codes = seed_public(url)
    with psycopg.connect(url, autocommit=True) as conn:
        for eid in fleet.elevators:
            insert_status(conn, eid)
        conn.execute(
            "INSERT INTO elevator_scores (elevator_id, computed_at, total, grade, baseline,"
            " factors, contributions, eligible, interval_days)"
            " SELECT id, now(), 80, 'B', 60, '{}', '{}', true, 30 FROM elevators"
        )
    with api_server(url) as server:
        yield server, fleet, url, codes


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:  # noqa: F811 - pytest fixture injection
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    violations = watch_csp(page)
    yield page
    context.close()
    assert not errors, f"JavaScript errors: {errors}"
    assert not violations, f"Content-Security-Policy violations: {violations}"


def auth(server: ApiServer, user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(server.base_url, user)}"}


def test_scanned_page_shows_every_field(site: Any, phone: Page) -> None:
    server, fleet, _, codes = site
    elevator = fleet.of_company(1)[0]
    phone.goto(f"{server.base_url}/e/{codes[elevator]}")
    expect(phone.locator("#status")).to_have_attribute("data-status", "in_service")
    expect(phone.locator("#status")).to_contain_text("正常运行")
    for field in FIELDS:
        cell = phone.locator(f'dd[data-field="{field}"]')
        expect(cell).to_be_visible()
        assert cell.inner_text().strip() not in ("", "未登记 Not registered"), field
    expect(phone.locator('dd[data-field="registration_code"]')).to_have_text(f"440{elevator:07d}")
    expect(phone.locator('dd[data-field="hotline"]')).to_have_text("96333")
    expect(phone.locator('dd[data-field="grade"]')).to_have_text("B")
    expect(phone.locator("#stale")).to_be_hidden()
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(phone, "public-page")


def test_trapped_report_reaches_the_desk_and_the_reporter_follows_the_rescue(
    site: Any,
    phone: Page,
    browser: Browser,  # noqa: F811 - pytest fixture injection
) -> None:
    server, fleet, _, codes = site
    elevator = fleet.of_company(1)[1]
    desk_context = browser.new_context(viewport={"width": 1400, "height": 860})
    desk = desk_context.new_page()
    login(desk, server.base_url, "desk")
    desk.goto(server.base_url + "/#/desk")
    expect(desk.locator("#live")).to_have_class("live on")
    phone.goto(f"{server.base_url}/e/{codes[elevator]}")
    phone.click("#trapped")
    phone.fill("#trapped-phone", "13800000000")
    phone.click("#trapped-form button[type=submit]")
    started = time.monotonic()
    card = desk.locator("[data-case]", has_text=f"440{elevator:07d}")
    expect(card).to_be_visible()
    assert time.monotonic() - started < 3.0
    shot(desk, "public-desk-board")
    phone.wait_for_url("**/r/**")
    expect(phone.locator('#steps li[data-step="reported"]')).to_have_class("done")
    case_id = int(card.first.get_attribute("data-case") or 0)
    desk_context.close()
    with httpx.Client(base_url=server.base_url, headers=auth(server, "desk")) as api:
        accepted = api.post(f"/api/v1/cases/{case_id}/accept", json={"rescuer_id": 1})
        assert accepted.status_code == 200, accepted.text
        expect(phone.locator('#steps li[data-step="accepted"]')).to_have_class("done")
        expect(phone.locator('#steps li[data-step="en_route"]')).to_contain_text("预计到达")
        shot(phone, "public-rescue-accepted")
        assert api.post(f"/api/v1/cases/{case_id}/arrive", json={}).status_code == 200
    expect(phone.locator('#steps li[data-step="arrived"]')).to_have_class("done")
    shot(phone, "public-rescue-arrived")


def test_complaint_reaches_company_and_supervisor(site: Any, phone: Page) -> None:
    server, fleet, _, codes = site
    elevator = fleet.of_company(2)[0]
    phone.goto(f"{server.base_url}/e/{codes[elevator]}")
    phone.click("#open-complaint")
    phone.select_option("#report-category", "dirty")
    phone.fill("#report-text", "轿厢很脏 the car is dirty")
    shot(phone, "public-complaint-form")
    phone.click("#report-form button[type=submit]")
    phone.wait_for_url("**/r/**")
    expect(phone.locator("#ticket")).to_have_attribute("data-state", "open")
    with httpx.Client(base_url=server.base_url) as api:
        company = api.get("/api/v1/public/tickets", headers=auth(server, "company2")).json()
        ticket = next(t for t in company if t["elevator_id"] == elevator)
        assert ticket["category"] == "dirty"
        assert "dirty" in ticket["description"]
        supervisor = api.get("/api/v1/public/tickets", headers=auth(server, "supervisor")).json()
        assert any(t["id"] == ticket["id"] for t in supervisor)
        other = api.get("/api/v1/public/tickets", headers=auth(server, "company1")).json()
        assert all(t["id"] != ticket["id"] for t in other)
        answered = api.post(
            f"/api/v1/public/tickets/{ticket['id']}/answer",
            json={"answer": "已清洁 Cleaned"},
            headers=auth(server, "company2"),
        )
        assert answered.status_code == 200
    expect(phone.locator("#answer")).to_have_text("已清洁 Cleaned")
    shot(phone, "public-complaint-answered")
