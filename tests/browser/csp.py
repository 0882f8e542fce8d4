"""Collect Content-Security-Policy violations of a page (the UI must need no inline
script, style or handler): the browser's ``securitypolicyviolation`` events and its
"Refused to ..." console errors."""

from __future__ import annotations

from playwright.sync_api import ConsoleMessage, Page

REPORT = (
    "document.addEventListener('securitypolicyviolation', (e) => console.error("
    "'CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI + ' at ' + e.sourceFile"
    " + ':' + e.lineNumber));"
)


def watch_csp(page: Page) -> list[str]:
    """Start collecting the page's CSP violations; returns the (growing) list."""
    violations: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        text = message.text
        if "CSP violation" in text or "Content Security Policy" in text:
            violations.append(text)

    page.add_init_script(REPORT)
    page.on("console", on_console)
    return violations
