"""Hazards in real Chromium: the map's hazards layer (a serious hazard ordered out of
service), the elevator panel's hazards tab, and a remediation with evidence upload on a
phone-sized screen (a wrong type and a too-large file refused, a photo accepted), by the
company and by a user unit that sees only its own elevators' hazards."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import psycopg
import pytest
from playwright.sync_api import Browser, expect

from accounts.repository import Scope, create_user
from api.security import Role, hash_password
from tests.browser.pages import phone, watched_pages
from tests.browser.seed import (
    JWT_SECRET,
    PASSWORD,
    SeededFleet,
    api_server,
    insert_status,
    seed_fleet,
)
from tests.browser.test_ui import browser, login, shot  # noqa: F401 - the browser fixture
from tests.fixtures.api_server import ApiServer
from tests.fixtures.users import bearer, user_token
from tests.integration.test_hazards import png_bytes

pytestmark = [pytest.mark.browser, pytest.mark.integration]
PHONE = phone("zh-CN")
DESKTOP = {"viewport": {"width": 1400, "height": 860}, "locale": "zh-CN"}


@dataclass
class Site:
    server: ApiServer
    fleet: SeededFleet
    url: str
    unit_elevators: dict[int, list[int]]

    def api(self, method: str, path: str, **kw: Any) -> Any:
        headers = bearer(user_token(self.url, JWT_SECRET, Role.SUPERVISOR))
        r = httpx.request(method, self.server.base_url + path, headers=headers, timeout=30, **kw)
        assert r.status_code < 300, r.text
        return r.json()

    def report(self, elevator: int, category: str, text: str) -> dict[str, Any]:
        found: dict[str, Any] = self.api("POST", "/api/v1/hazards", json={
            "elevator_id": elevator, "source": "spot_check", "category": category,
            "description": text})  # fmt: skip
        return found


@pytest.fixture(scope="module")
def site(make_database: Any) -> Iterator[Site]:
    url = make_database()
    fleet = seed_fleet(url)
    units: dict[int, list[int]] = {1: [], 2: []}
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO user_units (id, name, management_level) VALUES (2, '二号物业', 3)"
        )
        for eid in sorted(fleet.elevators):
            unit = 1 if eid % 2 else 2
            conn.execute("UPDATE elevators SET user_unit_id = %s WHERE id = %s", (unit, eid))
            units[unit].append(eid)
            insert_status(conn, eid)
        hashed = hash_password(PASSWORD)
        create_user(conn, "wuye1", hashed, Scope("user_unit", user_unit_id=1))
    with api_server(url) as server:
        yield Site(server, fleet, url, units)


@pytest.fixture
def new_page(browser: Browser) -> Iterator[Any]:  # noqa: F811
    with watched_pages(browser) as open_page:
        yield lambda **options: open_page(**(options or DESKTOP))


def test_supervisor_sees_the_layer_and_the_panel_tab(site: Site, new_page: Any) -> None:
    elevator = 1
    serious = site.report(elevator, "brake", "制动器打滑")
    site.api("POST", f"/api/v1/hazards/{serious['id']}/actions",
             json={"action": "out_of_service", "note": "立即停用"})  # fmt: skip
    page = new_page()
    login(page, site.server.base_url, "supervisor")
    expect(page.locator("#hazard-layer-toggle")).to_be_checked()
    expect(page.locator("path.hz-marker-serious.hz-marker-oos").first).to_be_attached()
    page.evaluate("(id) => LW.map.openPanel(id)", elevator)
    tab = page.locator(f"#panel-hazards [data-hazard-id='{serious['id']}']")
    expect(tab).to_be_visible()
    expect(tab).to_contain_text("重大隐患")
    expect(tab).to_contain_text("已责令停用")
    tab.locator("button.hz-assign").first.click()  # to the company
    expect(page.locator(f"#panel-hazards [data-hazard-id='{serious['id']}']")).to_have_attribute(
        "data-state", "assigned"
    )
    shot(page, "hazards-panel")
    # Hiding the layer removes its markers.
    page.locator("#hazard-layer-toggle").uncheck()
    expect(page.locator("path.hz-marker")).to_have_count(0)


def test_company_remediates_with_evidence_on_a_phone(site: Site, new_page: Any) -> None:
    elevator = site.fleet.of_company(2)[0]
    h = site.report(elevator, "door_lock", "门锁啮合深度不足")
    site.api(
        "POST", f"/api/v1/hazards/{h['id']}/actions", json={"action": "assign", "party": "company"}
    )
    page = new_page(**PHONE)
    login(page, site.server.base_url, "company2")
    page.goto(site.server.base_url + "/#/hazards")
    card = page.locator(f"#hazard-list [data-hazard-id='{h['id']}']")
    expect(card).to_be_visible()
    card.locator("button.hz-start").click()
    card = page.locator(f"#hazard-list [data-hazard-id='{h['id']}']")
    expect(card).to_have_attribute("data-state", "remediating")
    card.locator("input.hz-file").set_input_files(
        {"name": "photo.jpg", "mimeType": "image/jpeg", "buffer": b"not a photo"})  # fmt: skip
    expect(card.locator(".hz-msg")).to_contain_text("仅支持")
    card.locator("input.hz-file").set_input_files(
        {"name": "门锁.png", "mimeType": "image/png", "buffer": png_bytes(16)})  # fmt: skip
    card = page.locator(f"#hazard-list [data-hazard-id='{h['id']}']")
    expect(card.locator(".hz-evidence")).to_contain_text("1")
    card.locator("button.hz-remediate").click()
    expect(page.locator(f"#hazard-list [data-hazard-id='{h['id']}']")).to_have_attribute(
        "data-state", "remediated"
    )
    shot(page, "hazards-phone-company")
    detail = site.api("GET", f"/api/v1/hazards/{h['id']}")
    assert [t["action"] for t in detail["trail"]][-3:] == ["start", "evidence", "remediate"]
    assert detail["files"][0]["media_type"] == "image/png"


def test_user_unit_sees_only_its_own_and_a_large_file_is_refused(site: Site, new_page: Any) -> None:
    own = site.report(site.unit_elevators[1][2], "machine_room", "机房堆放杂物")
    other = site.report(site.unit_elevators[2][2], "machine_room", "机房门未上锁")
    site.api(
        "POST",
        f"/api/v1/hazards/{own['id']}/actions",
        json={"action": "assign", "party": "user_unit"},
    )
    page = new_page(**PHONE)
    login(page, site.server.base_url, "wuye1")
    expect(page.locator("#view-hazards")).to_be_visible()  # the user unit's home view
    card = page.locator(f"#hazard-list [data-hazard-id='{own['id']}']")
    expect(card).to_be_visible()
    expect(page.locator(f"#hazard-list [data-hazard-id='{other['id']}']")).to_have_count(0)
    expect(page.locator("#nav a[data-view='map']")).to_be_hidden()
    card.locator("button.hz-start").click()
    card = page.locator(f"#hazard-list [data-hazard-id='{own['id']}']")
    expect(card).to_have_attribute("data-state", "remediating")
    big = b"\x89PNG\r\n\x1a\n" + b"\0" * (6 * 1024 * 1024)
    card.locator("input.hz-file").set_input_files(
        {"name": "big.png", "mimeType": "image/png", "buffer": big})  # fmt: skip
    expect(card.locator(".hz-msg")).to_contain_text("文件过大")
    card.locator("button.hz-remediate").click()  # no evidence yet: refused
    expect(card.locator(".hz-msg")).to_contain_text("证据")
    card.locator("input.hz-file").set_input_files(
        {"name": "clean.png", "mimeType": "image/png", "buffer": png_bytes()})  # fmt: skip
    card = page.locator(f"#hazard-list [data-hazard-id='{own['id']}']")
    expect(card.locator(".hz-evidence")).to_contain_text("1")
    card.locator("button.hz-remediate").click()
    expect(page.locator(f"#hazard-list [data-hazard-id='{own['id']}']")).to_have_attribute(
        "data-state", "remediated"
    )
    expect(page.locator("#hz-serious-rate")).to_contain_text("目标 100%")
    shot(page, "hazards-phone-unit")
