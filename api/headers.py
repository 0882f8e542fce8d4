"""Security headers on every response, and the interactive API docs under the same CSP.

The Content-Security-Policy allows no inline script or style: the UI's scripts and
styles are static files (``/static``, ``/vendor/leaflet``); images may also come from
``data:`` URLs and the configured map tile host. ``/docs`` (Swagger UI, when exposed)
gets its own policy allowing its CDN and, by hash, its one inline script.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SWAGGER_CDN = "https://cdn.jsdelivr.net"
SWAGGER_FAVICON_HOST = "https://fastapi.tiangolo.com"
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def tile_source(tile_url: str) -> str | None:
    """The CSP source of a Leaflet tile URL template (``{s}`` subdomains become ``*``)."""
    if not tile_url:
        return None
    parts = urlsplit(tile_url)
    host = parts.hostname or ""
    if not parts.scheme or not host:
        return None
    if "{" in host:
        host = "*." + host.split("}", 1)[1].split(".", 1)[1] if "." in host else ""
    if not host:
        return None
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}"


def content_security_policy(tile_url: str) -> str:
    images = ["'self'", "data:"]
    tiles = tile_source(tile_url)
    if tiles:
        images.append(tiles)
    return "; ".join((
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        f"img-src {' '.join(images)}",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ))  # fmt: skip


def _hashes(scripts: Iterable[str]) -> str:
    return " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
        for s in scripts
    )


def docs_page(openapi_url: str, title: str) -> HTMLResponse:
    """Swagger UI with a CSP that admits exactly its CDN files and its inline script."""
    page = get_swagger_ui_html(openapi_url=openapi_url, title=title)
    body = bytes(page.body).decode()
    policy = "; ".join((
        "default-src 'self'",
        f"script-src 'self' {SWAGGER_CDN} {_hashes(_INLINE_SCRIPT.findall(body))}",
        f"style-src 'self' {SWAGGER_CDN}",
        f"img-src 'self' data: {SWAGGER_FAVICON_HOST}",
        "connect-src 'self'",
        "object-src 'none'",
        "frame-ancestors 'none'",
    ))  # fmt: skip
    return HTMLResponse(body, headers={"Content-Security-Policy": policy})


def install_docs(app: FastAPI, openapi_url: str) -> None:
    async def docs() -> HTMLResponse:
        return docs_page(openapi_url, f"{app.title} API")

    app.add_api_route("/docs", docs, include_in_schema=False)


def security_headers(csp: str) -> dict[str, str]:
    return {
        "Content-Security-Policy": csp,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "strict-origin-when-cross-origin",
        "X-Frame-Options": "DENY",
    }


class SecurityHeaders:
    """ASGI middleware adding the security headers to every HTTP response (a route's
    own Content-Security-Policy, as on ``/docs``, is kept)."""

    def __init__(self, app: ASGIApp, headers: dict[str, str]) -> None:
        self.app = app
        self.headers = [(k.lower().encode(), v.encode()) for k, v in headers.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.extend(h for h in self.headers if h[0] not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
