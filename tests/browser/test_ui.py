"""The web UI in real Chromium (Playwright) against a real uvicorn server and database."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from alarms.repository import raise_alarm
from domain.alarms import AlarmType
from tests.browser.csp import watch_csp
from tests.browser.seed import (
    PASSWORD,
    SeededFleet,
    api_server,
    insert_status,
    insert_telemetry,
    seed_fleet,
)
from tests.fixtures.api_server import ApiServer
from tests.fixtures.services import require

pytestmark = [pytest.mark.browser, pytest.mark.integration]

# Generous waits (a loaded CI machine renders slowly): a wait ends as soon as its
# condition holds. Latency requirements (the 3-second live update) are measured in
# bench/, not asserted against the wall clock here.
expect.set_options(timeout=30_000)

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def ui(make_database: Callable[[], str]) -> Iterator[tuple[ApiServer, SeededFleet, str]]:
    url = make_database()
    fleet = seed_fleet(url)
    with psycopg.connect(url, autocommit=True) as conn:
        for eid in fleet.elevators:
            insert_status(conn, eid)
        insert_telemetry(conn, 1)
    with api_server(url) as server:
        yield server, fleet, url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    path = os.environ.get("LIFTWATCH_CHROMIUM", "/usr/bin/chromium")
    require(Path(path).exists(), f"chromium not found at {path} (apt-get install chromium)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1400, "height": 860})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    violations = watch_csp(pg)
    yield pg
    context.close()
    assert not errors, f"JavaScript errors: {errors}"
    assert not violations, f"Content-Security-Policy violations: {violations}"


def login(page: Page, base_url: str, username: str) -> None:
    page.goto(base_url + "/")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#login-form button[type=submit]")
    expect(page.locator("#whoami")).to_contain_text(username)


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def zoom_to(page: Page, lon: float, lat: float, zoom: int) -> None:
    page.evaluate("([lat, lon, z]) => LW.map.leaflet.setView([lat, lon], z)", [lat, lon, zoom])


def elevator_position(url: str, elevator_id: int) -> tuple[float, float]:
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT lon, lat FROM elevators WHERE id = %s", (elevator_id,)
        ).fetchone()
    assert row is not None
    return float(row[0]), float(row[1])


def test_wrong_password_is_refused(ui: Any, page: Page) -> None:
    server, _, _ = ui
    page.goto(server.base_url + "/")
    page.fill("#username", "supervisor")
    page.fill("#password", "not-the-password")
    page.click("#login-form button[type=submit]")
    expect(page.locator("#login-error")).to_contain_text("wrong username or password")


def test_supervisor_sees_clusters_zooms_and_opens_panel(ui: Any, page: Page) -> None:
    server, fleet, url = ui
    login(page, server.base_url, "supervisor")
    expect(page.locator(".lw-cluster div").first).to_be_visible()
    total = page.locator("#map-total").get_attribute("data-total")
    assert total == str(len(fleet.elevators))
    counts = page.eval_on_selector_all(".lw-cluster div", "els => els.map(e => +e.dataset.count)")
    singles = page.locator(".lw-point").count()
    assert sum(counts) + singles == len(fleet.elevators)
    shot(page, "map-city")
    lon, lat = elevator_position(url, 1)
    zoom_to(page, lon, lat, 17)
    marker = page.locator('.lw-point[data-elevator="1"]')
    expect(marker).to_be_visible()
    marker.click()
    expect(page.locator("#panel-title")).to_have_attribute("data-elevator", "1")
    expect(page.locator("#panel-body")).to_contain_text("Current status")
    expect(page.locator("#panel-body svg path").first).to_be_attached()  # telemetry chart
    shot(page, "map-panel")


def test_injected_entrapment_turns_marker_red_without_reload(ui: Any, page: Page) -> None:
    server, _, url = ui
    login(page, server.base_url, "desk")
    target = 5
    lon, lat = elevator_position(url, target)
    zoom_to(page, lon, lat, 17)
    marker = page.locator(f'.lw-point[data-elevator="{target}"]')
    expect(marker).to_have_attribute("data-status", "normal")
    expect(page.locator("#live")).to_have_class("live on")
    page.evaluate("window.__noReload = true")
    with psycopg.connect(url) as conn:
        raise_alarm(conn, target, AlarmType.ENTRAPMENT, datetime.now(UTC), "browser-test")
    started = time.monotonic()
    expect(marker).to_have_attribute("data-status", "entrapment")
    elapsed = time.monotonic() - started
    assert page.evaluate("window.__noReload") is True  # the page was not reloaded
    assert elapsed < 3.0
    color = marker.evaluate("e => getComputedStyle(e).backgroundColor")
    assert color == "rgb(215, 38, 61)"
    shot(page, "map-entrapment")


def test_desk_board_shows_case_and_dispatch_steps(ui: Any, page: Page) -> None:
    server, _, url = ui
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            "INSERT INTO rescue_cases (elevator_id, source, state, tier, rescuer_id,"
            " trapped_since) VALUES (7, 'entrapment', 'accepted', 1, 1, now() - interval"
            " '6 minutes') RETURNING id"
        ).fetchone()
        assert row is not None
        case_id = int(row[0])
        for step, actor in (
            ("reported", "detector"),
            ("offered", "dispatcher"),
            ("accepted", "R1"),
        ):
            conn.execute(
                "INSERT INTO case_events (case_id, step, actor) VALUES (%s, %s, %s)",
                (case_id, step, actor),
            )
    login(page, server.base_url, "desk")
    page.goto(server.base_url + "/#/desk")
    card = page.locator(f'[data-case="{case_id}"]')
    expect(card).to_be_visible()
    expect(card).to_contain_text("accepted")
    steps = card.locator(".timeline li")
    expect(steps).to_have_count(3)
    assert [steps.nth(i).get_attribute("data-step") for i in range(3)] == [
        "reported",
        "offered",
        "accepted",
    ]
    shot(page, "desk-board")


def test_desk_takes_a_hotline_call_and_sees_the_dispatch(ui: Any, page: Page) -> None:
    server, _, _ = ui
    login(page, server.base_url, "desk")
    page.goto(server.base_url + "/#/desk")
    page.fill("#call-code", "4400000011")
    page.fill("#call-phone", "13800000000")
    page.click("#hotline-form button[type=submit]")
    expect(page.locator("#call-result")).to_contain_text("opened")
    case_id = page.locator("#call-result").inner_text().split()[1]
    card = page.locator(f'[data-case="{case_id}"]')
    expect(card).to_contain_text("4400000011")
    expect(card.locator(".timeline li").first).to_be_visible()
    expect(card.locator('button[data-action="cancel"]')).to_be_visible()
    shot(page, "desk-hotline")


def test_company_user_sees_only_its_own_elevators(ui: Any, page: Page) -> None:
    server, fleet, url = ui
    login(page, server.base_url, "company1")
    expect(page.locator("#map-total")).to_have_attribute(
        "data-total", str(len(fleet.of_company(1)))
    )
    # Street level over a block where companies 1, 2 and 3 all have elevators.
    lon, lat = elevator_position(url, 1)
    zoom_to(page, lon + 0.002, lat + 0.001, 16)
    expect(page.locator(".lw-point").first).to_be_visible()
    companies = set(
        page.eval_on_selector_all(".lw-point", "els => els.map(e => e.dataset.company)")
    )
    assert companies == {"1"}
    shown = {
        int(i)
        for i in page.eval_on_selector_all(".lw-point", "els => els.map(e => e.dataset.elevator)")
    }
    assert shown
    assert shown <= set(fleet.of_company(1))
    # Indicators tab exists, the admin-only pages do not.
    expect(page.locator('#nav a[data-view="indicators"]')).to_be_visible()
    shot(page, "company-map")


def test_supervisor_indicators_charts(ui: Any, page: Page) -> None:
    server, _, url = ui
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO rescue_cases (elevator_id, source, state, rescuer_id, trapped_since,"
            " reported_at, decided_at, accepted_at, arrived_at, released_at, closed_at)"
            " VALUES (9, 'entrapment', 'closed', 1, now() - interval '2 hours',"
            " now() - interval '2 hours', now() - interval '119 minutes',"
            " now() - interval '118 minutes', now() - interval '100 minutes',"
            " now() - interval '90 minutes', now() - interval '80 minutes')"
        )
    login(page, server.base_url, "supervisor")
    page.goto(server.base_url + "/#/indicators")
    expect(page.locator("#ind-charts .chart")).to_have_count(4)
    expect(page.locator("#ind-totals")).to_contain_text("Insurance coverage")
    expect(page.locator("#rescue-charts .chart")).to_have_count(4)
    expect(page.locator("#rescue-charts")).to_contain_text("Mean arrival time")
    shot(page, "indicators")


def test_desk_confirms_a_possible_entrapment_into_a_rescue_case(ui: Any, page: Page) -> None:
    server, _, url = ui
    target = 9
    with psycopg.connect(url) as conn:
        alarm = raise_alarm(
            conn, target, AlarmType.POSSIBLE_ENTRAPMENT, datetime.now(UTC), "browser-test",
            {"evidence": ["trip_after_door_cycle", "door_never_opened", "outside_door_zone"]},
        )  # fmt: skip
    login(page, server.base_url, "desk")
    page.goto(server.base_url + "/#/desk")
    button = page.locator(f'button[data-confirm="{alarm.id}"]')
    expect(button).to_be_visible()
    button.click()
    cases = "SELECT count(*) FROM rescue_cases WHERE alarm_id = %s"
    deadline = time.monotonic() + 15
    count = 0
    while count == 0 and time.monotonic() < deadline:
        with psycopg.connect(url) as conn:
            row = conn.execute(cases, (alarm.id,)).fetchone()
        count = int(row[0]) if row else 0
        time.sleep(0.2)
    assert count == 1
    expect(page.locator("[data-case]").filter(has_text=f"{target:07d}").first).to_be_visible()
    shot(page, "desk-possible-entrapment-confirmed")


def test_the_csp_blocks_inline_script_and_the_watcher_sees_it(ui: Any, browser: Browser) -> None:
    server, _, _ = ui
    context = browser.new_context()
    pg = context.new_page()
    violations = watch_csp(pg)
    response = pg.goto(server.base_url + "/")
    assert response is not None
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    pg.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.x = 1';"
        " document.body.append(s); }"
    )
    expect(pg.locator("body")).to_be_attached()
    deadline = time.monotonic() + 30
    while not violations and time.monotonic() < deadline:
        pg.wait_for_timeout(50)
    context.close()
    assert any("script-src" in v for v in violations), violations
