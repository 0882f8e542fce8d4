"""The field phone pages are one shell with each page's parts: the same login, top bar
and language switch on both, each page's own script, title and sections; plain HTML for
the Content Security Policy (no inline script, style or handler). Served by the app
without its lifespan (the pages need no database)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from html.parser import HTMLParser

import httpx
import pytest

from api.app import AppConfig, create_app
from api.routers.field_pages import RESCUER, TECHNICIAN, FieldPage, render

SHARED_IDS = {"net", "login", "login-form", "username", "password", "login-error", "app",
              "whoami", "logout", "message"}  # fmt: skip
OWN_IDS = {
    "rescuer": {"timer", "timer-label", "timer-value", "offers", "offer-list", "case", "arrive",
                "release-form"},
    "technician": {"clock", "orders", "order-list", "order", "checkin-code", "checklist",
                   "finish"},
}  # fmt: skip


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.scripts: list[dict[str, str | None]] = []
        self.inline_script = False
        self.attributes: set[str] = set()
        self.i18n: set[str] = set()
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self.attributes |= set(values)
        if ident := values.get("id"):
            self.ids.append(ident)
        if values.get("data-i18n"):
            self.i18n.add(str(values["data-i18n"]))
        if tag == "script":
            self.scripts.append(values)
            self._in_script = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline_script = True


def _parsed(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


@pytest.mark.parametrize("page", [RESCUER, TECHNICIAN])
def test_each_page_is_the_shell_with_its_own_parts(page: FieldPage) -> None:
    html = render(page)
    parsed = _parsed(html)
    assert "$" not in html  # every placeholder filled in
    assert len(parsed.ids) == len(set(parsed.ids)), "duplicate ids"
    assert set(parsed.ids) >= SHARED_IDS
    assert OWN_IDS[page.name] <= set(parsed.ids)
    other = "technician" if page.name == "rescuer" else "rescuer"
    assert not (OWN_IDS[other] & set(parsed.ids))
    assert parsed.scripts == [{"type": "module", "src": f"/static/{page.name}.js"}]
    assert f"{page.name}.title" in parsed.i18n
    assert f'<meta name="theme-color" content="{page.theme_color}">' in html
    # The Content Security Policy: no inline script, no style attribute, no handler.
    assert not parsed.inline_script
    assert "style" not in parsed.attributes
    assert not any(name.startswith("on") for name in parsed.attributes)


def test_the_shell_is_shared_word_for_word() -> None:
    rescuer, technician = render(RESCUER), render(TECHNICIAN)
    login = re.compile(r'<section id="login".*?</section>\s*<section id="app".*?</section>', re.S)
    found = [login.search(html) for html in (rescuer, technician)]
    assert found[0] is not None
    assert found[1] is not None
    assert found[0].group(0).replace("rescuer.", "technician.") == found[1].group(0)


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    config = AppConfig(database_url="postgresql://nobody@127.0.0.1:1/none", mqtt_url=None,
                       jwt_secret="x" * 32)  # fmt: skip
    transport = httpx.ASGITransport(app=create_app(config))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


@pytest.mark.parametrize("page", [RESCUER, TECHNICIAN])
async def test_served_with_the_policy_and_no_cache(
    client: httpx.AsyncClient, page: FieldPage
) -> None:
    response = await client.get(f"/{page.name}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-cache"
    assert response.text == render(page)
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    script = await client.get(f"/static/{page.name}.js")
    assert script.status_code == 200


@pytest.mark.parametrize("page", [RESCUER, TECHNICIAN])
def test_every_word_from_the_catalogues(page: FieldPage) -> None:
    # The checks tests/unit/test_i18n_catalogues.py makes of the files in api/static, on
    # the pages as served: no word outside the catalogues, every key in them.
    from tests.unit.test_i18n_catalogues import KEY_ATTR, UI_CATALOGUES, html_problems, merged

    html = render(page)
    assert not html_problems(html)
    keys = KEY_ATTR.findall(html)
    assert f"{page.name}.title" in keys
    known = merged(UI_CATALOGUES, "zh-CN")
    assert not [key for key in keys if key not in known]
