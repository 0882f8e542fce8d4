"""Field users who log in on the desktop SPA (``/``) land on their phone page, in real
Chromium on a 390 x 844 viewport, without logging in again (docs/ui.md): the rescuer sees
his open offer on ``/rescuer``, the technician his work orders' page ``/technician``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from playwright.sync_api import Browser, Page, Request, expect

from accounts.repository import Scope, create_user
from api.security import hash_password
from tests.browser.pages import PHONE, phone, watched_pages
from tests.browser.seed import PASSWORD, SeededFleet, api_server, insert_status, seed_fleet
from tests.browser.test_field_phones import elevators_near_rescuer, open_case
from tests.browser.test_ui import browser, shot  # noqa: F401 - the browser fixture
from tests.fixtures.api_server import ApiServer

pytestmark = [pytest.mark.browser, pytest.mark.integration]


@pytest.fixture(scope="module")
def site(make_database: Any) -> Iterator[tuple[ApiServer, SeededFleet, str]]:
    url = make_database()
    fleet = seed_fleet(url, per_district=2)
    with psycopg.connect(url, autocommit=True) as conn:
        for eid in fleet.elevators:
            insert_status(conn, eid)
        create_user(conn, "tech1", hash_password(PASSWORD), Scope("technician", 1, None))
    with api_server(url) as server:
        yield server, fleet, url


def log_in_on_the_spa(page: Page, base_url: str, user: str, logins: list[str]) -> None:
    page.on(
        "request",
        lambda r: logins.append(r.url) if _is_login(r) else None,
    )
    page.goto(base_url + "/")
    page.fill("#username", user)
    page.fill("#password", PASSWORD)
    page.click("#login-form button[type=submit]")


def _is_login(request: Request) -> bool:
    return request.method == "POST" and request.url.endswith("/api/v1/auth/token")


def test_a_rescuer_logging_in_on_the_spa_lands_on_his_phone_page_with_his_offers(
    site: Any,
    browser: Browser,  # noqa: F811 - pytest fixture injection
) -> None:
    server, fleet, url = site
    _eid, code, lon, lat = elevators_near_rescuer(url, fleet)[0]
    case_id = open_case(server, code, "13800138000")  # an offer waits for rescuer 1
    with watched_pages(browser) as new:
        page = new(**phone("zh-CN", lon, lat))
        logins: list[str] = []
        log_in_on_the_spa(page, server.base_url, "rescuer", logins)

        page.wait_for_url(server.base_url + "/rescuer")
        expect(page.locator("#whoami")).to_contain_text("rescuer")
        offer = page.locator(f'.offer[data-case="{case_id}"]')
        expect(offer).to_be_visible()
        expect(offer).to_contain_text("接受")
        # The session came along: one login only, the phone page's form never shown.
        expect(page.locator("#login")).to_be_hidden()
        assert len(logins) == 1, logins
        assert page.evaluate("sessionStorage.getItem('lw_token')")
        assert "token" not in page.url
        assert page.viewport_size == PHONE
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        shot(page, "landing-rescuer-zh")


def test_a_technician_lands_on_his_page_and_a_desk_user_stays_on_the_spa(
    site: Any,
    browser: Browser,  # noqa: F811 - pytest fixture injection
) -> None:
    server, _fleet, _url = site
    with watched_pages(browser) as new:
        page = new(**phone("en-US", 113.27, 23.13))
        logins: list[str] = []
        log_in_on_the_spa(page, server.base_url, "tech1", logins)
        page.wait_for_url(server.base_url + "/technician")
        expect(page.locator("#whoami")).to_contain_text("tech1")
        expect(page.locator("#login")).to_be_hidden()
        assert len(logins) == 1, logins

        page = new(**phone("zh-CN", 113.27, 23.13))
        log_in_on_the_spa(page, server.base_url, "desk", [])
        expect(page.locator("#whoami")).to_contain_text("desk")
        assert page.url.startswith(server.base_url + "/#/")  # the desk's views, not a phone page
