"""The 乘客报告 view in real Chromium: a report made on the public page shows up in the
desk's view (ticket, source, report) and its source can be blocked and unblocked; a
company answers its ticket in the view; the indicators show report counts."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.pages import PHONE, watched_pages
from tests.browser.public_seed import seed_public
from tests.browser.seed import SeededFleet, api_server, insert_status, seed_fleet
from tests.browser.test_ui import browser, login, shot  # noqa: F401 - the browser fixture
from tests.fixtures.api_server import ApiServer

pytestmark = [pytest.mark.browser, pytest.mark.integration]


@pytest.fixture(scope="module")
def site(
    make_database: Callable[[], str],
) -> Iterator[tuple[ApiServer, SeededFleet, dict[int, str]]]:
    url = make_database()
    fleet = seed_fleet(url)
    codes = seed_public(url)
    with psycopg.connect(url, autocommit=True) as conn:
        for eid in fleet.elevators:
            insert_status(conn, eid)
    with api_server(url) as server:
        yield server, fleet, codes


@pytest.fixture
def context_page(browser: Browser) -> Iterator[Callable[..., Page]]:  # noqa: F811
    """New pages (own contexts), each checked for JavaScript errors at the end."""
    with watched_pages(browser) as open_page:
        yield lambda **options: open_page(
            **(options or {"viewport": {"width": 1400, "height": 860}})
        )


def report_on_page(phone: Page, base_url: str, code: str, kind: str, text: str) -> None:
    phone.goto(f"{base_url}/e/{code}")
    phone.click(f"#open-{kind}")
    phone.select_option("#report-category", index=0)
    phone.fill("#report-text", text)
    phone.click("#report-form button[type=submit]")
    phone.wait_for_url("**/r/**")


def test_desk_sees_the_report_and_blocks_its_source(
    site: Any, context_page: Callable[..., Page]
) -> None:
    server, fleet, codes = site
    elevator = fleet.of_company(1)[0]
    registration = f"440{elevator:07d}"
    phone = context_page(viewport=PHONE, is_mobile=True, has_touch=True)
    report_on_page(phone, server.base_url, codes[elevator], "fault", "门关不上 door will not close")
    desk = context_page(viewport={"width": 1400, "height": 860}, locale="zh-CN")
    login(desk, server.base_url, "desk")
    desk.goto(server.base_url + "/#/reports")
    ticket = desk.locator("#ticket-table tr[data-ticket]", has_text=registration)
    expect(ticket).to_contain_text("door will not close")
    expect(ticket).to_contain_text("待处理")
    expect(ticket.locator(".answer-form")).to_have_count(0)
    source = desk.locator("#source-table tr[data-source]").first
    expect(source).to_have_attribute("data-blocked", "false")
    report = desk.locator("#source-reports tr[data-report]", has_text=registration)
    expect(report).to_have_attribute("data-dismissed", "false")
    shot(desk, "reports-desk")
    source.locator("button.block").click()
    expect(source).to_have_attribute("data-blocked", "true")
    expect(source).to_contain_text("已屏蔽")
    shot(desk, "reports-desk-blocked")
    source.locator("button.unblock").click()
    expect(source).to_have_attribute("data-blocked", "false")
    report.locator("button.dismiss").click()
    expect(report).to_have_attribute("data-dismissed", "true")
    expect(ticket).to_have_count(0)  # the ticket had no other report: dismissed too


def test_company_answers_its_ticket(site: Any, context_page: Callable[..., Page]) -> None:
    server, fleet, codes = site
    elevator = fleet.of_company(2)[0]
    registration = f"440{elevator:07d}"
    phone = context_page(viewport=PHONE, is_mobile=True, has_touch=True)
    report_on_page(phone, server.base_url, codes[elevator], "complaint", "轿厢很脏 dirty car")
    company = context_page()
    login(company, server.base_url, "company2")
    company.goto(server.base_url + "/#/reports")
    expect(company.locator("#sources-section")).to_be_hidden()
    ticket = company.locator("#ticket-table tr[data-ticket]", has_text=registration)
    expect(ticket).to_contain_text("dirty car")
    ticket.locator(".answer-text").fill("已清洁 Cleaned")
    shot(company, "reports-company-answer")
    ticket.locator(".answer-form button").click()
    expect(ticket).to_have_count(0)  # answered: gone from the open tickets
    company.select_option("#ticket-state", "")
    answered = company.locator("#ticket-table tr[data-ticket]", has_text=registration)
    expect(answered).to_have_attribute("data-state", "answered")
    expect(answered).to_contain_text("已清洁 Cleaned")
    shot(company, "reports-company-answered")
    phone.reload()
    expect(phone.locator("#answer")).to_have_text("已清洁 Cleaned")


def test_indicators_count_reports_by_district_and_kind(
    site: Any, context_page: Callable[..., Page]
) -> None:
    server, fleet, codes = site
    elevator = fleet.of_company(3)[0]
    phone = context_page(viewport=PHONE, is_mobile=True, has_touch=True)
    report_on_page(phone, server.base_url, codes[elevator], "fault", "异响 noise")
    supervisor = context_page()
    login(supervisor, server.base_url, "supervisor")
    supervisor.goto(server.base_url + "/#/indicators")
    row = supervisor.locator(f'#report-counts tr[data-district="{fleet.districts[elevator]}"]')
    expect(row.locator('td[data-kind="fault"]')).not_to_have_text("0")
    shot(supervisor, "reports-indicators")
