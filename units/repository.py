"""The user units' SQL: units, staff, checklists, check records, and the counts their
completion is computed from (async for the API, sync for the score job)."""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import psycopg
from psycopg.rows import class_row
from psycopg.types.json import Jsonb

from domain.table import Table
from units.model import CheckCounts, Checklist, CheckRecord, Staff, Unit

AsyncConn = psycopg.AsyncConnection[Any]
SyncConn = psycopg.Connection[Any]

UNIT_SELECT = """
SELECT u.id, u.name, u.district, u.contact_phone, u.management_level,
       (SELECT count(*) FROM elevators e WHERE e.user_unit_id = u.id)::int AS elevators
FROM user_units u"""
STAFF_COLUMNS = """id, user_unit_id, duty, name, phone, certificate_no,
    certificate_valid_until, active"""
CHECK_COLUMNS = """id, user_unit_id, checklist_id, kind, elevator_id, building, period_start,
    done_at, done_by, results, problems, minutes"""

# Per unit: its elevators and what it recorded in [start, end).
COUNTS = """
WITH ue AS (SELECT user_unit_id AS u, id AS e, address FROM elevators
            WHERE user_unit_id IS NOT NULL AND (%(unit)s::int IS NULL OR user_unit_id = %(unit)s)),
sizes AS (SELECT u, count(*)::int AS n FROM ue GROUP BY u),
daily AS (
  SELECT ue.u, count(DISTINCT (ue.e, c.period_start))::int AS done
  FROM unit_checks c JOIN ue ON ue.u = c.user_unit_id
   AND (c.elevator_id = ue.e OR (c.elevator_id IS NULL AND c.building = ue.address))
  WHERE c.kind = 'daily' AND c.period_start >= %(start)s AND c.period_start < %(end)s
  GROUP BY ue.u),
other AS (
  SELECT user_unit_id AS u,
         count(DISTINCT period_start) FILTER (WHERE kind = 'weekly')::int AS weekly,
         count(DISTINCT period_start) FILTER (WHERE kind = 'monthly')::int AS monthly
  FROM unit_checks WHERE kind <> 'daily' AND period_start >= %(start)s - 6
   AND period_start < %(end)s GROUP BY 1),
ever AS (SELECT DISTINCT user_unit_id AS u FROM unit_checks),
staff AS (
  SELECT user_unit_id AS u,
         bool_or(duty = 'director' AND certificate_valid_until >= %(end)s)
         AND bool_or(duty = 'officer' AND certificate_valid_until >= %(end)s) AS staffed
  FROM unit_staff WHERE active GROUP BY 1)
SELECT s.u AS user_unit_id, s.n AS elevators, COALESCE(d.done, 0) AS daily_done,
       COALESCE(o.weekly, 0) AS weekly_done, COALESCE(o.monthly, 0) AS monthly_done,
       ever.u IS NOT NULL AS recorded_ever, st.staffed
FROM sizes s LEFT JOIN daily d ON d.u = s.u LEFT JOIN other o ON o.u = s.u
LEFT JOIN ever ON ever.u = s.u LEFT JOIN staff st ON st.u = s.u
ORDER BY s.u"""


# -- API (async) ---------------------------------------------------------------------------
async def units(conn: AsyncConn, unit: int | None, limit: int, offset: int) -> list[Unit]:
    cur = conn.cursor(row_factory=class_row(Unit))
    await cur.execute(
        f"{UNIT_SELECT} WHERE (%s::int IS NULL OR u.id = %s) ORDER BY u.id LIMIT %s OFFSET %s",
        (unit, unit, limit, offset),
    )
    return await cur.fetchall()


async def unit(conn: AsyncConn, unit_id: int) -> Unit | None:
    cur = conn.cursor(row_factory=class_row(Unit))
    await cur.execute(f"{UNIT_SELECT} WHERE u.id = %s", (unit_id,))
    return await cur.fetchone()


async def staff(conn: AsyncConn, unit_id: int) -> list[Staff]:
    cur = conn.cursor(row_factory=class_row(Staff))
    await cur.execute(
        f"SELECT {STAFF_COLUMNS} FROM unit_staff WHERE user_unit_id = %s ORDER BY duty, id",  # noqa: S608 - fixed text
        (unit_id,),
    )
    return await cur.fetchall()


async def add_staff(conn: AsyncConn, unit_id: int, values: dict[str, Any]) -> Staff:
    cur = conn.cursor(row_factory=class_row(Staff))
    await cur.execute(
        f"""INSERT INTO unit_staff (user_unit_id, duty, name, phone, certificate_no,
                certificate_valid_until)
            VALUES (%(unit)s, %(duty)s, %(name)s, %(phone)s, %(certificate_no)s,
                %(certificate_valid_until)s) RETURNING {STAFF_COLUMNS}""",  # noqa: S608 - fixed text
        {"unit": unit_id, **values},
    )
    row = await cur.fetchone()
    assert row is not None
    return row


async def checklist(conn: AsyncConn, unit_id: int, kind: str) -> Checklist | None:
    """The unit's own active checklist of this kind, else the city's default."""
    cur = conn.cursor(row_factory=class_row(Checklist))
    await cur.execute(
        """SELECT id, user_unit_id, kind, per, name, items FROM unit_checklists
           WHERE active AND kind = %s AND (user_unit_id = %s OR user_unit_id IS NULL)
           ORDER BY user_unit_id NULLS LAST LIMIT 1""",
        (kind, unit_id),
    )
    return await cur.fetchone()


async def checklists(conn: AsyncConn, unit_id: int) -> list[Checklist]:
    out = []
    for kind in ("daily", "weekly", "monthly"):
        found = await checklist(conn, unit_id, kind)
        if found is not None:
            out.append(found)
    return out


async def unit_has_target(
    conn: AsyncConn, unit_id: int, elevator_id: int | None, building: str | None
) -> bool:
    cur = await conn.execute(
        """SELECT 1 FROM elevators WHERE user_unit_id = %s
           AND (%s::int IS NULL OR id = %s) AND (%s::text IS NULL OR address = %s) LIMIT 1""",
        (unit_id, elevator_id, elevator_id, building, building),
    )
    return await cur.fetchone() is not None


async def insert_check(conn: AsyncConn, values: dict[str, Any]) -> CheckRecord | None:
    """The new record, or None when the period's record exists already."""
    cur = conn.cursor(row_factory=class_row(CheckRecord))
    await cur.execute(
        f"""INSERT INTO unit_checks (user_unit_id, checklist_id, kind, elevator_id, building,
                period_start, done_at, done_by, results, problems, minutes)
            VALUES (%(unit)s, %(checklist)s, %(kind)s, %(elevator)s, %(building)s,
                %(period)s, %(at)s, %(by)s, %(results)s, %(problems)s, %(minutes)s)
            ON CONFLICT DO NOTHING RETURNING {CHECK_COLUMNS}""",  # noqa: S608 - fixed text
        {**values, "results": Jsonb(values["results"])},
    )
    return await cur.fetchone()


async def checks(
    conn: AsyncConn, unit_id: int, since: date, kind: str | None, limit: int, offset: int
) -> list[CheckRecord]:
    cur = conn.cursor(row_factory=class_row(CheckRecord))
    await cur.execute(
        f"""SELECT {CHECK_COLUMNS} FROM unit_checks WHERE user_unit_id = %s
            AND period_start >= %s AND (%s::text IS NULL OR kind = %s)
            ORDER BY period_start DESC, id DESC LIMIT %s OFFSET %s""",  # noqa: S608 - fixed text
        (unit_id, since, kind, kind, limit, offset),
    )
    return await cur.fetchall()


async def counts(conn: AsyncConn, unit_id: int | None, start: date, end: date) -> list[CheckCounts]:
    cur = conn.cursor(row_factory=class_row(CheckCounts))
    await cur.execute(COUNTS, {"unit": unit_id, "start": start, "end": end})
    return await cur.fetchall()


# -- score job (sync) ----------------------------------------------------------------------
UNIT_FACT_SCHEMA = [("user_unit_id", "i8"), ("completion", "f8"), ("staffed", "i1")]


def read_counts(conn: SyncConn, start: date, end: date) -> list[CheckCounts]:
    with conn.cursor(row_factory=class_row(CheckCounts)) as cur:
        cur.execute(COUNTS, {"unit": None, "start": start, "end": end})
        return cur.fetchall()


def unit_facts(rows: list[tuple[int, float, bool | None]]) -> Table:
    """(unit, completion, staffed) as a column table sorted by unit: completion NaN when
    unknown; staffed 1 / 0, or -1 when the unit lists no staff."""
    table = Table.zeros(UNIT_FACT_SCHEMA, len(rows))
    rows = sorted(rows)
    table["user_unit_id"] = np.array([r[0] for r in rows], dtype=np.int64)
    table["completion"] = np.array([r[1] for r in rows], dtype=np.float64)
    table["staffed"] = np.array([-1 if r[2] is None else int(r[2]) for r in rows], dtype=np.int8)
    return table


def default_checklist_ids(conn: SyncConn) -> dict[str, int]:
    cur = conn.execute("SELECT kind, id FROM unit_checklists WHERE user_unit_id IS NULL AND active")
    return {str(r[0]): int(r[1]) for r in cur.fetchall()}


def import_checks(conn: SyncConn, rows: list[tuple[Any, ...]]) -> int:
    """Past records (a migration from paper, the demo's simulated history), by COPY:
    (unit, checklist, kind, elevator, building, period_start, done_at, done_by, results
    JSON text, problems, minutes)."""
    with (
        conn.cursor() as cur,
        cur.copy(
            "COPY unit_checks (user_unit_id, checklist_id, kind, elevator_id, building,"
            " period_start, done_at, done_by, results, problems, minutes) FROM STDIN"
        ) as copy,
    ):
        for row in rows:
            copy.write_row(row)
    return len(rows)


def import_staff(conn: SyncConn, rows: list[tuple[Any, ...]]) -> int:
    """(unit, duty, name, phone, certificate_no, certificate_valid_until) rows."""
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO unit_staff (user_unit_id, duty, name, phone, certificate_no,"
            " certificate_valid_until) VALUES (%s, %s, %s, %s, %s, %s)",
            rows,
        )
    return len(rows)


def has_checks(conn: SyncConn) -> bool:
    return conn.execute("SELECT EXISTS (SELECT 1 FROM unit_checks)").fetchone() == (True,)
