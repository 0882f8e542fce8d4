"""Pages for browser tests, each in its own context and watched: a JavaScript error or
an unexpected dialog on any of them fails the test at the end."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from playwright.sync_api import Browser, BrowserContext, Page


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
