"""`liftwatch codes`: the elevators' public codes (一梯一码): stickers, rotation, export."""

from __future__ import annotations

import sys
import time
from datetime import date
from pathlib import Path

import psycopg
import typer
from rich.console import Console

from domain.localtime import city_today
from liftwatch.settings import load_settings
from public.code_service import export_disclosures, fill_demo_officers, issue_codes, print_stickers
from public.errors import InvalidReport, NoFont
from public.policy import district_name

console = Console(stderr=True)
codes_app = typer.Typer(
    help="Public codes, QR stickers and the disclosure list.", no_args_is_help=True
)

BASE_URL = typer.Option(
    "http://127.0.0.1:8000",
    envvar="LIFTWATCH_PUBLIC_BASE_URL",
    help="The public address the QR codes point to (<base>/e/<code>).",
)


def _district(value: str | None) -> str | None:
    try:
        return district_name(value)
    except InvalidReport as exc:
        raise typer.BadParameter(str(exc)) from None


def _connect() -> psycopg.Connection[object]:
    return psycopg.connect(load_settings().require_database_url(), autocommit=True)


@codes_app.command("stickers")
def stickers_cmd(
    out: Path = typer.Option(..., help="The PDF to write."),
    district: str | None = typer.Option(None, help="Only this district (e.g. 天河区)."),
    base_url: str = BASE_URL,
    rotate: bool = typer.Option(
        True, "--rotate/--keep", help="Give every printed elevator a new code (the default)."
    ),
    font: str | None = typer.Option(None, help="A CJK font file (default: found)."),
) -> None:
    """Print the QR stickers of a district (or the city) to a PDF, 8 per A4 page."""
    started = time.perf_counter()
    district = _district(district)
    with _connect() as conn:
        try:
            sheet = print_stickers(conn, district, out, base_url, rotate=rotate, font=font)
        except NoFont as exc:
            console.print(f"[red]{exc}[/]")
            raise typer.Exit(2) from None
    seconds = time.perf_counter() - started
    console.print(
        f"{sheet.stickers} stickers on {sheet.pages} pages in {seconds:.1f} s -> {out}"
        f" ({sheet.issued} new codes, {sheet.rotated} rotated)"
    )


@codes_app.command("rotate")
def rotate_cmd(
    district: str | None = typer.Option(None, help="Only this district."),
) -> None:
    """Give elevators new codes (old ones keep working and are marked old)."""
    with _connect() as conn:
        issued, rotated = issue_codes(conn, _district(district), rotate=True)
    console.print(f"{issued} codes issued, {rotated} rotated")


@codes_app.command("issue")
def issue_cmd(
    district: str | None = typer.Option(None, help="Only this district."),
    demo_officers: bool = typer.Option(
        False, "--demo-officers", help="Also give synthetic user units a made-up safety officer."
    ),
) -> None:
    """Give every elevator without a public code its first one."""
    with _connect() as conn:
        issued, _ = issue_codes(conn, _district(district), rotate=False)
        filled = fill_demo_officers(conn) if demo_officers else 0
    console.print(f"{issued} codes issued, {filled} safety officers filled")


@codes_app.command("export")
def export_cmd(
    fmt: str = typer.Option("csv", "--format", help="csv or json."),
    out: Path | None = typer.Option(None, help="File to write (default: stdout)."),
    district: str | None = typer.Option(None, help="Only this district."),
) -> None:
    """The disclosure list (信息公示): public fields of every elevator, for open data."""
    if fmt not in ("csv", "json"):
        raise typer.BadParameter("--format is csv or json")
    today: date = city_today()
    with _connect() as conn:
        text = export_disclosures(conn, _district(district), fmt, today)
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text, encoding="utf-8")
        console.print(f"wrote {out}")


def register(app: typer.Typer, groups: dict[str, typer.Typer]) -> None:
    app.add_typer(codes_app, name="codes")
