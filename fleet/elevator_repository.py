"""Reads of one elevator and of elevator lists for the API: search, registry record,
current status, active alarms, recent telemetry; typed rows of :mod:`fleet.model`.

The maintenance part's tables (``elevator_scores``, ``maintenance_plans``) are read only
when they exist, so the registry works before that part is deployed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

import psycopg
from psycopg import sql
from psycopg.rows import class_row

from fleet.map_repository import table_exists
from fleet.model import (
    ActiveAlarm,
    ElevatorQuery,
    ElevatorRecord,
    ElevatorStatus,
    ElevatorSummary,
    TelemetrySample,
)

T = TypeVar("T")
AsyncConn = psycopg.AsyncConnection[Any]

# Tables of other parts keyed by elevator_id, read as JSON objects when present.
OPTIONAL_TABLES = frozenset({"elevator_scores", "maintenance_plans"})


async def _fetch_all(conn: AsyncConn, row_type: type[T], query: str, params: Any) -> list[T]:
    async with conn.cursor(row_factory=class_row(row_type)) as cur:
        await cur.execute(query, params)
        return await cur.fetchall()


async def _fetch_one(conn: AsyncConn, row_type: type[T], query: str, params: Any) -> T | None:
    async with conn.cursor(row_factory=class_row(row_type)) as cur:
        await cur.execute(query, params)
        return await cur.fetchone()


def _like_prefix(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


async def search_elevators(
    conn: AsyncConn, query: ElevatorQuery, limit: int, offset: int
) -> list[ElevatorSummary]:
    """Elevators matching every filter given, by id."""
    params = {
        "code": query.code_prefix,
        "code_like": _like_prefix(query.code_prefix or ""),
        "district": query.district,
        "company": query.company_id,
        "ids": query.ids,
        "limit": limit,
        "offset": offset,
    }
    return await _fetch_all(
        conn,
        ElevatorSummary,
        """SELECT id, code, district, address, company_id, lon, lat FROM elevators
           WHERE (%(code)s::text IS NULL OR code LIKE %(code_like)s)
             AND (%(district)s::text IS NULL OR district = %(district)s)
             AND (%(company)s::integer IS NULL OR company_id = %(company)s)
             AND (%(ids)s::integer[] IS NULL OR id = ANY(%(ids)s))
           ORDER BY id LIMIT %(limit)s OFFSET %(offset)s""",
        params,
    )


async def find_elevator(
    conn: AsyncConn, elevator_id: int, company_id: int | None
) -> ElevatorRecord | None:
    """The elevator (of ``company_id`` when given), or None."""
    return await _fetch_one(
        conn,
        ElevatorRecord,
        """SELECT e.id, e.code, e.district, e.address, e.company_id, e.lon, e.lat,
                  e.terminal_id, e.building_type, e.install_date, e.rated_speed, e.floors,
                  c.name AS company_name, e.insurance_expiry, e.inspection_valid_until,
                  e.in_service
           FROM elevators e JOIN maintenance_companies c ON c.id = e.company_id
           WHERE e.id = %s AND (%s::integer IS NULL OR e.company_id = %s)""",
        (elevator_id, company_id, company_id),
    )


async def current_status(conn: AsyncConn, elevator_id: int) -> ElevatorStatus | None:
    return await _fetch_one(
        conn,
        ElevatorStatus,
        """SELECT ts, car, dir AS direction, floor, door_zone, door, passenger, mode, power,
                  speed, online, received_at FROM elevator_status WHERE elevator_id = %s""",
        (elevator_id,),
    )


async def active_alarms(conn: AsyncConn, elevator_id: int) -> list[ActiveAlarm]:
    """Alarms not yet resolved, most severe and newest first."""
    return await _fetch_all(
        conn,
        ActiveAlarm,
        """SELECT id, type, severity, state, opened_at, last_seen_at FROM alarms
           WHERE elevator_id = %s AND state IN ('open', 'acknowledged', 'in_progress')
           ORDER BY severity DESC, opened_at DESC""",
        (elevator_id,),
    )


async def optional_rows(
    conn: AsyncConn, table: str, elevator_id: int
) -> list[dict[str, Any]] | None:
    """The elevator's rows of one of :data:`OPTIONAL_TABLES` as JSON objects; None when
    that table does not exist."""
    if table not in OPTIONAL_TABLES:
        raise ValueError(f"not an optional table: {table!r}")
    if not await table_exists(conn, table):
        return None
    query = sql.SQL("SELECT to_jsonb(t) FROM {} t WHERE t.elevator_id = %s").format(
        sql.Identifier(table)
    )
    cur = await conn.execute(query, (elevator_id,))
    return [dict(document) for (document,) in await cur.fetchall()]


async def recent_telemetry(
    conn: AsyncConn, elevator_id: int, since: datetime, limit: int
) -> list[TelemetrySample]:
    """The newest ``limit`` samples since ``since``, oldest first."""
    return await _fetch_all(
        conn,
        TelemetrySample,
        """SELECT ts, floor, speed, load, door, passenger FROM (
               SELECT ts, seq, floor, speed, load, door, passenger FROM telemetry
               WHERE elevator_id = %s AND ts >= %s ORDER BY ts DESC, seq DESC LIMIT %s
           ) t ORDER BY ts, seq""",
        (elevator_id, since, limit),
    )
