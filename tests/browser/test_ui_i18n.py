"""中文 first, in real Chromium: the one-map UI in zh-CN and en, on a desktop (1400x900)
and a phone (390x844): login, the map's Chinese labels, switching to English (and the
choice remembered), dates as 2026-12-01 HH:MM in Asia/Shanghai whatever the browser's
zone, server errors in the user's language, the desk hearing a new entrapment (beep and
banner), the case board sorted by urgency, the 96333 form from the keyboard alone.
Screenshots go to test-artifacts/."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect

from alarms.repository import raise_alarm
from domain.alarms import AlarmType
from tests.browser.pages import PHONE, watched_pages
from tests.browser.seed import PASSWORD, SeededFleet, api_server, insert_status, seed_fleet
from tests.browser.test_ui import browser, shot  # noqa: F401 - the browser fixture
from tests.fixtures.api_server import ApiServer

pytestmark = [pytest.mark.browser, pytest.mark.integration]

DESKTOP: ViewportSize = {"width": 1400, "height": 900}
SCREENS = {"desktop": DESKTOP, "phone": PHONE}
LOCALES = {"zh-CN": "zh-CN", "en": "en-US"}
STAMP = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
def site(make_database: Callable[[], str]) -> Iterator[tuple[ApiServer, SeededFleet, str]]:
    url = make_database()
    fleet = seed_fleet(url)
    with psycopg.connect(url, autocommit=True) as conn:
        for eid in fleet.elevators:
            insert_status(conn, eid)
    with api_server(url) as server:
        yield server, fleet, url


@pytest.fixture
def new_page(browser: Browser) -> Iterator[Callable[..., Page]]:  # noqa: F811
    """Pages in their own contexts (language, screen, a zone far from Shanghai), each
    checked for JavaScript errors and unexpected dialogs at the end."""
    with watched_pages(browser) as open_page:

        def new(lang: str = "zh-CN", screen: str = "desktop") -> Page:
            phone = screen == "phone"
            return open_page(
                viewport=SCREENS[screen],
                locale=LOCALES[lang],
                timezone_id="America/New_York",  # the UI must show Asia/Shanghai anyway
                is_mobile=phone,
                has_touch=phone,
            )

        yield new


def login(page: Page, base_url: str, username: str) -> None:
    page.goto(base_url + "/")
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.press("#password", "Enter")
    expect(page.locator("#whoami")).to_contain_text(username)


def shanghai(ts: datetime) -> str:
    return ts.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")


@pytest.mark.parametrize("screen", ["desktop", "phone"])
def test_login_and_map_in_chinese(site: Any, new_page: Callable[..., Page], screen: str) -> None:
    server, fleet, _ = site
    page = new_page("zh-CN", screen)
    page.goto(server.base_url + "/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("#login-form button[type=submit]")).to_have_text("登录")
    expect(page.locator("#username")).to_have_accessible_name("用户名")
    shot(page, f"i18n-login-zh-CN-{screen}")
    page.fill("#username", "supervisor")
    page.fill("#password", "wrong-password")
    page.press("#password", "Enter")
    expect(page.locator("#login-error")).to_have_text("用户名或密码错误")
    login(page, server.base_url, "supervisor")
    expect(page.locator('#nav a[data-view="map"]')).to_have_text("一张图")
    expect(page.locator("#whoami")).to_contain_text("监管人员")
    if screen == "desktop":  # the whole city is in view
        total = str(len(fleet.elevators))
        expect(page.locator("#map-total")).to_have_attribute("data-total", total)
    expect(page.locator("#map-total")).to_contain_text("台电梯")
    expect(page.locator('#status-options label[data-status="entrapment"]')).to_have_text("困人")
    expect(page.locator('#status-options label[data-status="maintenance_due"]')).to_have_text(
        "待维保"
    )
    expect(page.locator('#district-filter option[value="Tianhe"]')).to_have_text("天河区")
    expect(page.locator('.district-label [data-district="Tianhe"]')).to_have_text("天河区")
    expect(page.locator("#map-summary")).not_to_contain_text("normal")
    shot(page, f"i18n-map-zh-CN-{screen}")


@pytest.mark.parametrize("screen", ["desktop", "phone"])
def test_map_in_english(site: Any, new_page: Callable[..., Page], screen: str) -> None:
    server, _, _ = site
    page = new_page("en", screen)
    login(page, server.base_url, "supervisor")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator('#nav a[data-view="map"]')).to_have_text("Map")
    expect(page.locator('#status-options label[data-status="entrapment"]')).to_have_text(
        "entrapment"
    )
    expect(page.locator('#district-filter option[value="Tianhe"]')).to_have_text("Tianhe")
    expect(page.locator("#map-total")).to_contain_text("elevators")
    shot(page, f"i18n-map-en-{screen}")


def test_switching_to_english_is_remembered(site: Any, new_page: Callable[..., Page]) -> None:
    server, _, _ = site
    page = new_page("zh-CN")
    login(page, server.base_url, "desk")
    expect(page.locator('#nav a[data-view="desk"]')).to_have_text("救援工单")
    page.select_option("#lang-switch", "en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator('#nav a[data-view="desk"]')).to_have_text("Case board")
    expect(page.locator("#view-map h2").first).to_have_text("Filters")
    expect(page.locator('#status-options label[data-status="entrapment"]')).to_have_text(
        "entrapment"
    )
    expect(page.locator('.district-label [data-district="Tianhe"]')).to_have_text("Tianhe")
    expect(page.locator("#whoami")).to_contain_text("96333 desk")
    shot(page, "i18n-switched-en")
    page.reload()
    expect(page.locator('#nav a[data-view="desk"]')).to_have_text("Case board")
    expect(page.locator("#lang-switch")).to_have_value("en")
    # ... and back: the Chinese labels return without a reload.
    page.select_option("#lang-switch", "zh-CN")
    expect(page.locator('#nav a[data-view="desk"]')).to_have_text("救援工单")
    expect(page.locator('#status-options label[data-status="entrapment"]')).to_have_text("困人")


def test_language_chosen_while_the_session_restores_is_kept(
    site: Any, new_page: Callable[..., Page]
) -> None:
    """A user who switches language before the page knows who they are keeps the choice
    (the language remembered for them must not take it back once they are known)."""
    server, _, _ = site
    page = new_page("zh-CN")
    login(page, server.base_url, "desk")
    page.select_option("#lang-switch", "en")
    expect(page.locator('#nav a[data-view="desk"]')).to_have_text("Case board")
    held: list[Any] = []
    page.route("**/api/v1/auth/me", lambda route: held.append(route))
    page.reload()
    expect(page.locator("#lang-switch")).to_have_value("en")
    page.wait_for_function("document.body.dataset.ready === 'true'")
    page.select_option("#lang-switch", "zh-CN")
    expect(page.locator('#nav a[data-view="desk"]')).to_have_text("救援工单")
    page.wait_for_timeout(200)
    assert held, "the page did not ask who the user is"
    for route in held:
        route.continue_()
    page.unroute("**/api/v1/auth/me")
    expect(page.locator("#whoami")).to_contain_text("96333")
    expect(page.locator('#status-options label[data-status="entrapment"]')).to_have_text("困人")
    expect(page.locator('#nav a[data-view="desk"]')).to_have_text("救援工单")
    page.reload()
    expect(page.locator("#lang-switch")).to_have_value("zh-CN")
    expect(page.locator('#status-options label[data-status="entrapment"]')).to_have_text("困人")


@pytest.mark.parametrize(("lang", "screen"), [("zh-CN", "desktop"), ("en", "phone")])
def test_desk_hears_a_new_entrapment(
    site: Any, new_page: Callable[..., Page], lang: str, screen: str
) -> None:
    server, _, url = site
    target = 11 if lang == "zh-CN" else 12
    page = new_page(lang, screen)
    login(page, server.base_url, "desk")
    page.goto(server.base_url + "/#/desk")
    expect(page.locator("#live")).to_have_class("live on")
    # Sound needs a user gesture (typing the password was one): a fresh page load has
    # had none, so the banner asks for one and goes once given.
    page.reload()
    expect(page.locator("#live")).to_have_class("live on")
    banner = page.locator("#sound-banner")
    expect(banner).to_be_visible()
    shot(page, f"i18n-desk-sound-banner-{lang}-{screen}")
    banner.click()
    expect(banner).to_be_hidden()
    assert page.evaluate("LW.alerts.count") == 0
    with psycopg.connect(url) as conn:
        opened = datetime.now(UTC)
        raise_alarm(conn, target, AlarmType.ENTRAPMENT, opened, "browser-test")
    body = page.locator("body")
    expect(body).to_have_attribute("data-alert-count", "1")
    expect(body).to_have_attribute("data-beep-count", "1")  # the beep was played
    alert = page.locator("#alert-banner")
    expect(alert).to_be_visible()
    expect(alert).to_have_attribute("data-elevator", str(target))
    expect(alert).to_contain_text("困人" if lang == "zh-CN" else "entrapment")
    last = page.evaluate("LW.alerts.last")
    assert last["played"] is True
    assert last["elevator_id"] == target
    # The alarm table shows the time in Asia/Shanghai, 24 h, 2026-12-01 09:30:00.
    row = page.locator(f"#alarm-table tr[data-type='entrapment']:has(td:text('440{target:07d}'))")
    expect(row).to_be_visible()
    stamp = row.locator("td").first.inner_text()
    assert STAMP.match(stamp), stamp
    with psycopg.connect(url) as conn:
        db_row = conn.execute(
            "SELECT opened_at FROM alarms WHERE elevator_id = %s AND type = 'entrapment'",
            (target,),
        ).fetchone()
    assert db_row is not None
    assert stamp == shanghai(db_row[0])
    shot(page, f"i18n-desk-alert-{lang}-{screen}")
    # Alt+X dismisses the banner; the same entrapment does not ring twice.
    page.keyboard.press("Alt+X")
    expect(alert).to_be_hidden()


def test_case_board_sorted_by_urgency(site: Any, new_page: Callable[..., Page]) -> None:
    server, _, url = site
    ids: dict[int, int] = {}
    with psycopg.connect(url, autocommit=True) as conn:
        for elevator, minutes in ((21, 5), (22, 27), (23, 18), (24, 40)):
            row = conn.execute(
                "INSERT INTO rescue_cases (elevator_id, source, state, tier, trapped_since)"
                " VALUES (%s, 'hotline', 'offered', 1, now() - make_interval(mins => %s))"
                " RETURNING id",
                (elevator, minutes),
            ).fetchone()
            assert row is not None
            ids[minutes] = int(row[0])
    page = new_page("zh-CN")
    login(page, server.base_url, "desk")
    page.goto(server.base_url + "/#/desk")
    cards = page.locator("#case-board [data-case]")
    expect(cards.first).to_be_visible()
    order = [int(c) for c in cards.evaluate_all("els => els.map(e => e.dataset.case)")]
    mine = [case for case in order if case in ids.values()]
    assert mine == [ids[40], ids[27], ids[18], ids[5]]
    levels = {m: page.locator(f'[data-case="{ids[m]}"] .urgency') for m in ids}
    expect(levels[5]).to_have_attribute("data-level", "green")
    expect(levels[18]).to_have_attribute("data-level", "amber")
    expect(levels[27]).to_have_attribute("data-level", "red")
    expect(levels[40]).to_have_attribute("data-level", "red")
    expect(levels[40]).to_contain_text("已超时 10 分钟")
    expect(levels[5]).to_contain_text("已用 5 分钟 / 时限 30 分钟")
    shot(page, "i18n-desk-urgency")


def test_hotline_form_from_the_keyboard(site: Any, new_page: Callable[..., Page]) -> None:
    server, _, _ = site
    page = new_page("zh-CN")
    login(page, server.base_url, "desk")
    page.goto(server.base_url + "/#/desk")
    expect(page.locator("#hotline-form")).to_be_visible()
    expect(page.locator("#hotline-form")).to_have_attribute("aria-keyshortcuts", "Alt+N")
    page.locator("#desk-refresh").focus()
    page.keyboard.press("Alt+N")
    expect(page.locator("#call-code")).to_be_focused()
    # Esc clears what was typed.
    page.keyboard.type("4400000099")
    page.keyboard.press("Escape")
    expect(page.locator("#call-code")).to_have_value("")
    expect(page.locator("#call-code")).to_be_focused()
    # A code that matches nothing: the server's answer is in Chinese.
    page.keyboard.type("4409999999")
    page.keyboard.press("Enter")
    expect(page.locator("#call-result")).to_contain_text("未找到")
    page.keyboard.press("Escape")
    # Tab walks code -> address -> phone -> trapped; Enter opens the case.
    page.keyboard.type("4400000031")
    page.keyboard.press("Tab")
    expect(page.locator("#call-address")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.locator("#call-phone")).to_be_focused()
    page.keyboard.type("13800000000")
    page.keyboard.press("Tab")
    expect(page.locator("#call-people")).to_be_focused()
    page.keyboard.press("Control+A")
    page.keyboard.type("2")
    page.keyboard.press("Enter")
    result = page.locator("#call-result")
    expect(result).to_have_attribute("data-opened-case", re.compile(r"^\d+$"))
    expect(result).to_contain_text("已立案")
    case_id = result.get_attribute("data-opened-case")
    card = page.locator(f'#case-board [data-case="{case_id}"]')
    expect(card).to_contain_text("4400000031")
    expect(card).to_contain_text("被困 2 人")
    expect(page.locator("#call-code")).to_be_focused()  # ready for the next call
    shot(page, "i18n-desk-hotline-keyboard")


@pytest.mark.parametrize("screen", ["desktop", "phone"])
def test_indicators_and_reports_in_chinese(
    site: Any, new_page: Callable[..., Page], screen: str
) -> None:
    server, _, _ = site
    page = new_page("zh-CN", screen)
    login(page, server.base_url, "supervisor")
    page.goto(server.base_url + "/#/indicators")
    expect(page.locator("#ind-charts .chart")).to_have_count(4)
    expect(page.locator("#ind-totals")).to_contain_text("电梯责任保险覆盖率")
    expect(page.locator("#ind-charts .chart h3").first).to_have_text("故障率（%）")
    labels = page.locator("#ind-charts .chart").first.locator("svg text")
    texts = labels.evaluate_all("els => els.map(e => e.textContent)")
    assert "天河区" in texts
    assert "Tianhe" not in texts
    expect(page.locator("#ind-days option[value='30']")).to_have_text("近 30 天")
    shot(page, f"i18n-indicators-zh-CN-{screen}")
    page.goto(server.base_url + "/#/reports")
    expect(page.locator("#view-reports h2")).to_have_text("乘客报告")
    expect(page.locator("#ticket-table tbody")).to_contain_text("无工单")
    shot(page, f"i18n-reports-zh-CN-{screen}")
