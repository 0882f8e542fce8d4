"""Pages for browser tests, each in its own context and watched: a JavaScript error or
an unexpected dialog on any of them fails the test at the end."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize

PHONE: ViewportSize = {"width": 390, "height": 844}


def phone(locale: str, lon: float | None = None, lat: float | None = None) -> dict[str, Any]:
    """Context options of a phone (390 x 844, touch) in ``locale``; with ``lon``/``lat``,
    the browser's geolocation there (12 m accuracy) and the permission to read it."""
    options: dict[str, Any] = {
        "viewport": PHONE, "is_mobile": True, "has_touch": True, "locale": locale,
    }  # fmt: skip
    if lon is not None and lat is not None:
        options["geolocation"] = {"longitude": lon, "latitude": lat, "accuracy": 12}
        options["permissions"] = ["geolocation"]
    return options


@contextmanager
def watched_pages(browser: Browser) -> Iterator[Callable[..., Page]]:
    """``new(**context_options)`` opens a page in a new context; on leaving, the
    contexts close and no page may have had a JavaScript error or dialog."""
    contexts: list[BrowserContext] = []
    errors: list[str] = []

    def new(**options: Any) -> Page:
        context = browser.new_context(**options)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))

        def on_dialog(dialog: Any) -> None:
            errors.append(dialog.message)
            dialog.dismiss()

        page.on("dialog", on_dialog)
        return page

    yield new
    for context in contexts:
        context.close()
    assert not errors, f"JavaScript errors: {errors}"
