"""The CLI's SQL (sync): issue and rotate public codes, stickers' data, the open-data list,
and the demo fleet's safety officers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import class_row

from public.model import DisclosureRow, StickerRow
from public.repository import DISCLOSURE_SELECT

Conn = psycopg.Connection[Any]


def elevator_ids(conn: Conn, district: str | None, *, without_code: bool = False) -> list[int]:
    cur = conn.execute(
        """SELECT e.id FROM elevators e
           WHERE (%(district)s::text IS NULL OR e.district = %(district)s)
             AND (NOT %(without)s OR NOT EXISTS (SELECT 1 FROM public_codes p
                  WHERE p.elevator_id = e.id AND p.retired_at IS NULL))
           ORDER BY e.id""",
        {"district": district, "without": without_code},
    )
    return [int(r[0]) for r in cur.fetchall()]


def retire_codes(conn: Conn, ids: list[int], at: datetime) -> int:
    cur = conn.execute(
        "UPDATE public_codes SET retired_at = %s"
        " WHERE elevator_id = ANY(%s) AND retired_at IS NULL",
        (at, ids),
    )
    return cur.rowcount


def insert_codes(conn: Conn, ids: list[int], new_code: Callable[[], str], at: datetime) -> int:
    """One new current code per elevator (binary COPY: a city's worth in seconds)."""
    with conn.cursor().copy(
        "COPY public_codes (code, elevator_id, issued_at) FROM STDIN (FORMAT BINARY)"
    ) as copy:
        copy.set_types(["text", "int4", "timestamptz"])
        for elevator_id in ids:
            copy.write_row((new_code(), elevator_id, at))
    return len(ids)


def sticker_rows(conn: Conn, district: str | None) -> list[StickerRow]:
    cur = conn.cursor(row_factory=class_row(StickerRow))
    cur.execute(
        """SELECT e.id AS elevator_id, e.code AS registration_code, e.district, e.address,
                  c.duty_phone AS company_phone, p.code
           FROM elevators e JOIN maintenance_companies c ON c.id = e.company_id
           JOIN public_codes p ON p.elevator_id = e.id AND p.retired_at IS NULL
           WHERE %(district)s::text IS NULL OR e.district = %(district)s
           ORDER BY e.id""",
        {"district": district},
    )
    return cur.fetchall()


def disclosures(conn: Conn, district: str | None) -> list[DisclosureRow]:
    cur = conn.cursor(row_factory=class_row(DisclosureRow))
    cur.execute(
        DISCLOSURE_SELECT
        + " WHERE (%(district)s::text IS NULL OR e.district = %(district)s) ORDER BY e.id",
        {"district": district},
    )
    return cur.fetchall()


def fill_safety_officers(conn: Conn, name_of: Callable[[int], tuple[str, str]]) -> int:
    """Give user units without a safety officer the one ``name_of(unit id)`` names."""
    ids = [int(r[0]) for r in conn.execute(
        "SELECT id FROM user_units WHERE safety_officer_name IS NULL ORDER BY id"
    ).fetchall()]  # fmt: skip
    with conn.cursor() as cur:
        cur.executemany(
            "UPDATE user_units SET safety_officer_name = %s, safety_officer_phone = %s"
            " WHERE id = %s",
            [(*name_of(unit), unit) for unit in ids],
        )
    return len(ids)
