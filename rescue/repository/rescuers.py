"""Rescuers as dispatch sees them: who is free nearby, where they are, whose they are."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

import psycopg
from psycopg.rows import class_row


@dataclass(frozen=True)
class CandidateRow:
    rescuer_id: int
    company_id: int | None
    station_id: int | None
    lon: float
    lat: float


def available_rescuers(
    conn: psycopg.Connection[Any],
    now_local: time,
    bbox: tuple[float, float, float, float],
    company_id: int | None = None,
    respect_shifts: bool = True,
) -> list[CandidateRow]:
    """Rescuers free to take an offer: available, on shift, holding no active case and
    no open offer, inside ``bbox`` (min lon, min lat, max lon, max lat)."""
    with conn.cursor(row_factory=class_row(CandidateRow)) as cur:
        return cur.execute(
            """SELECT r.id AS rescuer_id, r.company_id, r.station_id, r.lon, r.lat
               FROM rescuers r
               WHERE r.available
                 AND (%(company)s::integer IS NULL OR r.company_id = %(company)s)
                 AND r.lon BETWEEN %(x0)s AND %(x1)s AND r.lat BETWEEN %(y0)s AND %(y1)s
                 AND (NOT %(shifts)s OR r.shift_start = r.shift_end
                      OR (r.shift_start < r.shift_end
                          AND %(t)s >= r.shift_start AND %(t)s < r.shift_end)
                      OR (r.shift_start > r.shift_end
                          AND (%(t)s >= r.shift_start OR %(t)s < r.shift_end)))
                 AND NOT EXISTS (SELECT 1 FROM rescue_cases c WHERE c.rescuer_id = r.id
                                 AND c.state IN ('accepted', 'en_route', 'on_site'))
                 AND NOT EXISTS (SELECT 1 FROM dispatch_offers o WHERE o.rescuer_id = r.id
                                 AND o.state = 'pending')""",
            {
                "company": company_id,
                "x0": bbox[0],
                "y0": bbox[1],
                "x1": bbox[2],
                "y1": bbox[3],
                "t": now_local,
                "shifts": respect_shifts,
            },
        ).fetchall()


def set_rescuer_position(
    conn: psycopg.Connection[Any], rescuer_id: int, lon: float, lat: float, at: datetime
) -> bool:
    cur = conn.execute(
        "UPDATE rescuers SET lon = %s, lat = %s, position_at = %s WHERE id = %s",
        (lon, lat, at, rescuer_id),
    )
    return cur.rowcount == 1


@dataclass(frozen=True)
class Position:
    lon: float
    lat: float


def rescuer_position(conn: psycopg.Connection[Any], rescuer_id: int) -> Position | None:
    with conn.cursor(row_factory=class_row(Position)) as cur:
        return cur.execute("SELECT lon, lat FROM rescuers WHERE id = %s", (rescuer_id,)).fetchone()


@dataclass(frozen=True)
class RescuerCompany:
    company_id: int | None


async def company_of_rescuer(
    conn: psycopg.AsyncConnection[Any], rescuer_id: int
) -> RescuerCompany | None:
    """The rescuer's company (None inside: a station rescuer); None: no such rescuer."""
    async with conn.cursor(row_factory=class_row(RescuerCompany)) as cur:
        await cur.execute("SELECT company_id FROM rescuers WHERE id = %s", (rescuer_id,))
        return await cur.fetchone()
