"""Use cases of the ``liftwatch codes`` commands: issue and rotate codes, print stickers,
export the disclosure list, fill the demo fleet's safety officers."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import psycopg

from public import code_repository as repo
from public.policy import disclose, export_csv, export_record, new_code
from public.printing import SheetLayout, find_cjk_font, stickers_pdf

Conn = psycopg.Connection[Any]

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗梁"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀华平刚"


@dataclass(frozen=True)
class StickerSheet:
    stickers: int
    pages: int
    issued: int
    rotated: int


def issue_codes(conn: Conn, district: str | None, *, rotate: bool) -> tuple[int, int]:
    """Codes for the district's elevators: new ones where missing, and with ``rotate``
    a new code for every elevator (old codes keep working, marked old). Returns
    (issued to elevators without one, rotated)."""
    now = datetime.now(UTC)
    with conn.transaction():
        missing = repo.elevator_ids(conn, district, without_code=True)
        issued = repo.insert_codes(conn, missing, new_code, now)
        rotated = 0
        if rotate:
            fresh = set(missing)
            others = [e for e in repo.elevator_ids(conn, district) if e not in fresh]
            repo.retire_codes(conn, others, now)
            rotated = repo.insert_codes(conn, others, new_code, now)
    return issued, rotated


def print_stickers(
    conn: Conn,
    district: str | None,
    out: Path,
    base_url: str,
    *,
    rotate: bool,
    font: str | None = None,
) -> StickerSheet:
    """The district's stickers as one PDF; printing rotates the codes unless told not to."""
    font_file = find_cjk_font(font)
    issued, rotated = issue_codes(conn, district, rotate=rotate)
    rows = repo.sticker_rows(conn, district)
    data, pages = stickers_pdf(rows, base_url, font_file, SheetLayout())
    out.write_bytes(data)
    return StickerSheet(stickers=len(rows), pages=pages, issued=issued, rotated=rotated)


def export_disclosures(conn: Conn, district: str | None, fmt: str, today: date) -> str:
    """The open-data list (信息公示): the public fields of every elevator, CSV or JSON."""
    elevators = [disclose(row, today) for row in repo.disclosures(conn, district)]
    if fmt == "csv":
        return export_csv(elevators)
    records = [export_record(e) for e in elevators]
    return json.dumps(
        {"date": today.isoformat(), "elevators": records}, ensure_ascii=False, indent=None
    )


def demo_officer(unit_id: int) -> tuple[str, str]:
    """A made-up safety officer for a synthetic user unit (demo fleets only)."""
    name = SURNAMES[unit_id % len(SURNAMES)] + GIVEN[(unit_id // len(SURNAMES)) % len(GIVEN)]
    return f"{name}（示例）", f"139{10_000_000 + unit_id % 90_000_000:08d}"


def fill_demo_officers(conn: Conn) -> int:
    with conn.transaction():
        return repo.fill_safety_officers(conn, demo_officer)
