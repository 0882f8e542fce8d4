"""The field phone pages: ``/rescuer`` (the rescuer's phone) and ``/technician``
(维保签到); the same login as the one-map app.

Both pages are one shell (``api/templates/field/shell.html``: head, top bar, login
form, language switch, who-am-I row, message line) with the page's own parts filled in:
its top-bar block (``<page>.bar.html``) and its sections (``<page>.main.html``); the
page's script is ``/static/<page>.js`` and its title the catalogue key ``<page>.title``.
The shell and the parts are plain HTML (no inline script or style: the Content Security
Policy of :mod:`api.headers` holds); each page is put together once, at start.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from string import Template

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

router = APIRouter(include_in_schema=False)
TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "field"
NO_CACHE = {"Cache-Control": "no-cache"}


@dataclass(frozen=True)
class FieldPage:
    """What one phone page puts into the shell."""

    name: str  # rescuer | technician: the script, the catalogue area, the part files
    theme_color: str  # the phone's browser bar
    bar_class: str  # the top bar's CSS classes


RESCUER = FieldPage("rescuer", theme_color="#8c0f24", bar_class="bar")
TECHNICIAN = FieldPage("technician", theme_color="#0b5394", bar_class="bar tech")


def _part(name: str) -> str:
    return (TEMPLATES / name).read_text(encoding="utf-8").rstrip("\n")


@cache
def render(page: FieldPage) -> str:
    """The page's HTML: the shell with the page's parts (a missing one is an error)."""
    shell = Template((TEMPLATES / "shell.html").read_text(encoding="utf-8"))
    return shell.substitute(
        page=page.name,
        theme_color=page.theme_color,
        bar_class=page.bar_class,
        bar=_part(f"{page.name}.bar.html"),
        sections=_part(f"{page.name}.main.html"),
    )


@router.get("/rescuer")
async def rescuer_page() -> HTMLResponse:
    return HTMLResponse(render(RESCUER), headers=NO_CACHE)


@router.get("/technician")
async def technician_page() -> HTMLResponse:
    return HTMLResponse(render(TECHNICIAN), headers=NO_CACHE)
