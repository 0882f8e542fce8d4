"""The hazards' SQL: hazards, their trail and evidence, the out-of-service order, and the
set-based reads of the automatic scan and the escalation job.

Coroutines serve the API (the service opens the transactions); the sync functions serve
the jobs (``liftwatch hazards scan``, the demo)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import psycopg
from psycopg.rows import class_row
from psycopg.types.json import Jsonb

from hazards.model import Evidence, Hazard, Scope, TrailEntry

AsyncConn = psycopg.AsyncConnection[Any]
SyncConn = psycopg.Connection[Any]

HAZARD_SELECT = """
SELECT h.id, h.elevator_id, e.code AS registration_code, e.district, e.company_id,
       e.user_unit_id, h.source, h.rule, h.category, h.description, h.grade, h.party,
       h.state, h.reported_at, h.reported_by, h.due_at, h.remediated_at, h.verified_at,
       h.closed_at, h.escalation, h.out_of_service,
       (SELECT count(*) FROM hazard_evidence v WHERE v.hazard_id = h.id)::int AS evidence,
       e.lon, e.lat
FROM hazards h JOIN elevators e ON e.id = h.elevator_id"""

SCOPE_WHERE = """(%(every)s OR e.company_id = %(company)s OR e.user_unit_id = %(unit)s)"""

_INSERT = """
INSERT INTO hazards (elevator_id, source, rule, category, description, grade, party,
                     reported_at, reported_by, due_at, detail)
VALUES (%(elevator)s, %(source)s, %(rule)s, %(category)s, %(description)s, %(grade)s,
        %(party)s, %(at)s, %(by)s, %(due)s, %(detail)s)
ON CONFLICT (elevator_id, rule) WHERE rule IS NOT NULL AND state <> 'closed' DO NOTHING
RETURNING id"""

_TRAIL = """
INSERT INTO hazard_trail (hazard_id, at, action, from_state, to_state, actor, note,
                          evidence_id, detail)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"""


def scope_params(scope: Scope) -> dict[str, Any]:
    return {"every": scope.every, "company": scope.company_id, "unit": scope.user_unit_id}


def insert_params(values: dict[str, Any]) -> dict[str, Any]:
    return {**values, "detail": Jsonb(values.get("detail", {}))}


# -- API (async) ---------------------------------------------------------------------------
async def elevator_in_scope(conn: AsyncConn, elevator_id: int, scope: Scope) -> bool:
    cur = await conn.execute(
        f"SELECT 1 FROM elevators e WHERE e.id = %(id)s AND {SCOPE_WHERE}",  # noqa: S608
        {"id": elevator_id, **scope_params(scope)},
    )
    return await cur.fetchone() is not None


async def insert_hazard(conn: AsyncConn, values: dict[str, Any]) -> int | None:
    cur = await conn.execute(_INSERT, insert_params(values))
    row = await cur.fetchone()
    return None if row is None else int(row[0])


async def get_hazard(
    conn: AsyncConn, hazard_id: int, scope: Scope, lock: bool = False
) -> Hazard | None:
    query = f"{HAZARD_SELECT} WHERE h.id = %(id)s AND {SCOPE_WHERE}"
    if lock:
        query += " FOR UPDATE OF h"
    cur = conn.cursor(row_factory=class_row(Hazard))
    await cur.execute(query, {"id": hazard_id, **scope_params(scope)})
    return await cur.fetchone()


async def list_hazards(
    conn: AsyncConn, scope: Scope, filters: dict[str, Any], limit: int, offset: int
) -> list[Hazard]:
    query = f"""{HAZARD_SELECT} WHERE {SCOPE_WHERE}
        AND (%(elevator)s::int IS NULL OR h.elevator_id = %(elevator)s)
        AND (%(state)s::text IS NULL OR h.state = %(state)s)
        AND (%(grade)s::text IS NULL OR h.grade = %(grade)s)
        AND (%(district)s::text IS NULL OR e.district = %(district)s)
        AND (NOT %(open)s OR h.state <> 'closed')
        ORDER BY h.reported_at DESC, h.id DESC LIMIT %(limit)s OFFSET %(offset)s"""
    params = {**scope_params(scope), **filters, "limit": limit, "offset": offset}
    cur = conn.cursor(row_factory=class_row(Hazard))
    await cur.execute(query, params)
    return await cur.fetchall()


async def update_hazard(conn: AsyncConn, hazard_id: int, changes: dict[str, Any]) -> None:
    """Set the given columns (names from the service, never from the caller)."""
    allowed = {
        "state", "grade", "party", "due_at", "remediated_at", "verified_at", "closed_at",
        "out_of_service", "escalation",
    }  # fmt: skip
    names = [n for n in changes if n in allowed]
    if not names:
        return
    assignments = ", ".join(f"{n} = %({n})s" for n in names)
    await conn.execute(
        f"UPDATE hazards SET {assignments} WHERE id = %(id)s",  # noqa: S608 - allowed names
        {**{n: changes[n] for n in names}, "id": hazard_id},
    )


async def add_trail(
    conn: AsyncConn,
    hazard_id: int,
    at: datetime,
    action: str,
    states: tuple[str, str],
    actor: str,
    note: str = "",
    evidence_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    await conn.execute(
        _TRAIL,
        (hazard_id, at, action, *states, actor, note, evidence_id, Jsonb(detail or {})),
    )


async def trail(conn: AsyncConn, hazard_id: int) -> list[TrailEntry]:
    cur = conn.cursor(row_factory=class_row(TrailEntry))
    await cur.execute(
        "SELECT id, hazard_id, at, action, from_state, to_state, actor, note, evidence_id"
        " FROM hazard_trail WHERE hazard_id = %s ORDER BY at, id",
        (hazard_id,),
    )
    return await cur.fetchall()


async def insert_evidence(conn: AsyncConn, values: dict[str, Any]) -> Evidence:
    cur = conn.cursor(row_factory=class_row(Evidence))
    await cur.execute(
        """INSERT INTO hazard_evidence (hazard_id, at, uploaded_by, filename, media_type, size,
               sha256, storage_key)
           VALUES (%(hazard)s, %(at)s, %(by)s, %(filename)s, %(media_type)s, %(size)s,
               %(sha256)s, %(key)s)
           RETURNING id, hazard_id, at, uploaded_by, filename, media_type, size, sha256,
               storage_key""",
        values,
    )
    row = await cur.fetchone()
    assert row is not None
    return row


async def evidence_of(conn: AsyncConn, hazard_id: int) -> list[Evidence]:
    cur = conn.cursor(row_factory=class_row(Evidence))
    await cur.execute(
        "SELECT id, hazard_id, at, uploaded_by, filename, media_type, size, sha256, storage_key"
        " FROM hazard_evidence WHERE hazard_id = %s ORDER BY at, id",
        (hazard_id,),
    )
    return await cur.fetchall()


async def evidence_item(conn: AsyncConn, hazard_id: int, evidence_id: int) -> Evidence | None:
    cur = conn.cursor(row_factory=class_row(Evidence))
    await cur.execute(
        "SELECT id, hazard_id, at, uploaded_by, filename, media_type, size, sha256, storage_key"
        " FROM hazard_evidence WHERE hazard_id = %s AND id = %s",
        (hazard_id, evidence_id),
    )
    return await cur.fetchone()


async def set_in_service(conn: AsyncConn, elevator_id: int, in_service: bool) -> None:
    """The out-of-service order on the registry; lifting it leaves an elevator out of
    service while another of its hazards still orders it so."""
    await conn.execute(
        """UPDATE elevators SET in_service = %(on)s WHERE id = %(id)s
           AND (NOT %(on)s OR NOT EXISTS (SELECT 1 FROM hazards WHERE elevator_id = %(id)s
                AND out_of_service AND state <> 'closed'))""",
        {"on": in_service, "id": elevator_id},
    )


# -- jobs (sync) ---------------------------------------------------------------------------
def insert_hazards(conn: SyncConn, rows: list[dict[str, Any]]) -> list[int]:
    """Insert (idempotent per elevator and rule); the ids of those actually new."""
    created: list[int] = []
    with conn.cursor() as cur:
        for values in rows:
            cur.execute(_INSERT, insert_params(values))
            row = cur.fetchone()
            if row is not None:
                created.append(int(row[0]))
                cur.execute(
                    _TRAIL,
                    (row[0], values["at"], "report", "reported", "reported", values["by"],
                     values["description"], None, Jsonb(values.get("detail", {}))),
                )  # fmt: skip
    return created


def recurring_faults(
    conn: SyncConn, since: datetime, fault_types: list[str], times: int
) -> list[tuple[int, str, int]]:
    """(elevator, alarm type, count) recurring at least ``times`` times since ``since``."""
    cur = conn.execute(
        """SELECT elevator_id, type, count(*)::int FROM alarms
           WHERE opened_at >= %s AND type = ANY(%s)
           GROUP BY elevator_id, type HAVING count(*) >= %s ORDER BY 1, 3 DESC""",
        (since, fault_types, times),
    )
    return [(int(r[0]), str(r[1]), int(r[2])) for r in cur.fetchall()]


def registry_lapses(conn: SyncConn, today: date) -> list[tuple[int, str, date]]:
    """(elevator, 'inspection' | 'insurance', date) of expired inspections and insurance."""
    cur = conn.execute(
        """SELECT id, 'inspection', inspection_valid_until FROM elevators
             WHERE inspection_valid_until < %(today)s
           UNION ALL
           SELECT id, 'insurance', insurance_expiry FROM elevators
             WHERE insurance_expiry < %(today)s ORDER BY 1, 2""",
        {"today": today},
    )
    return [(int(r[0]), str(r[1]), r[2]) for r in cur.fetchall()]


def maintenance_overdue(conn: SyncConn, today: date, days: int) -> list[tuple[int, date]]:
    """(elevator, due date) of half-monthly maintenance overdue by more than ``days``: the
    plan's due date where there is a plan, else 15 days after the last record."""
    cur = conn.execute(
        """WITH due AS (
             SELECT e.id,
                    COALESCE((SELECT p.next_due FROM maintenance_plans p
                              WHERE p.elevator_id = e.id AND p.level = 'half_monthly'),
                             (SELECT (max(r.ended_at) AT TIME ZONE 'Asia/Shanghai')::date + 15
                              FROM maintenance_records r WHERE r.elevator_id = e.id)) AS due
             FROM elevators e)
           SELECT id, due FROM due WHERE due < %s::date - %s ORDER BY id""",
        (today, days),
    )
    return [(int(r[0]), r[1]) for r in cur.fetchall()]


def condition_collapses(conn: SyncConn, below: float) -> list[tuple[int, float]]:
    cur = conn.execute(
        "SELECT elevator_id, condition_index::float8 FROM elevator_condition"
        " WHERE condition_index < %s ORDER BY 1",
        (below,),
    )
    return [(int(r[0]), float(r[1])) for r in cur.fetchall()]


def table_exists(conn: SyncConn, name: str) -> bool:
    row = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (name,)).fetchone()
    return bool(row and row[0])


def overdue_hazards(conn: SyncConn, now: datetime) -> list[Hazard]:
    """Hazards past their deadline and not yet remediated, with an escalation to make."""
    with conn.cursor(row_factory=class_row(Hazard)) as cur:
        cur.execute(
            f"""{HAZARD_SELECT} WHERE h.state IN ('reported', 'assigned', 'remediating')
                AND h.due_at < %(now)s
                AND h.escalation < CASE WHEN %(now)s > h.due_at + (h.due_at - h.reported_at)
                                        THEN 2 ELSE 1 END
                ORDER BY h.id FOR UPDATE OF h SKIP LOCKED""",
            {"now": now},
        )
        return cur.fetchall()


def set_escalation(conn: SyncConn, hazard_id: int, level: int, at: datetime, note: str) -> None:
    row = conn.execute(
        "UPDATE hazards SET escalation = %s WHERE id = %s AND escalation < %s RETURNING state",
        (level, hazard_id, level),
    ).fetchone()
    if row is not None:
        conn.execute(
            _TRAIL,
            (hazard_id, at, "escalate", row[0], row[0], "system", note, None,
             Jsonb({"level": level})),
        )  # fmt: skip


def elevators_still_overdue(conn: SyncConn, elevator_ids: list[int]) -> set[int]:
    cur = conn.execute(
        """SELECT DISTINCT elevator_id FROM hazards WHERE elevator_id = ANY(%s)
           AND escalation > 0 AND state IN ('reported', 'assigned', 'remediating')""",
        (elevator_ids,),
    )
    return {int(r[0]) for r in cur.fetchall()}


def elevators_with_overdue_alarm(conn: SyncConn) -> list[int]:
    cur = conn.execute(
        "SELECT elevator_id FROM alarms WHERE type = 'hazard_overdue'"
        " AND state IN ('open', 'acknowledged', 'in_progress')"
    )
    return [int(r[0]) for r in cur.fetchall()]


_IMPORT = """
INSERT INTO hazards (elevator_id, source, category, description, grade, party, state,
                     reported_at, reported_by, due_at, remediated_at, verified_at, closed_at)
VALUES (%(elevator)s, %(source)s, %(category)s, %(description)s, %(grade)s, %(party)s,
        %(state)s, %(at)s, %(by)s, %(due)s, %(remediated_at)s, %(verified_at)s,
        %(closed_at)s)
RETURNING id"""


def import_hazards(conn: SyncConn, rows: list[dict[str, Any]]) -> int:
    """Past hazards with their whole history (a simulated year, a migration from another
    register): each with its trail entries (``trail``: (at, action, from, to, actor))."""
    with conn.cursor() as cur:
        for values in rows:
            cur.execute(_IMPORT, values)
            row = cur.fetchone()
            assert row is not None
            cur.executemany(
                _TRAIL,
                [(row[0], at, action, a, b, actor, "", None, Jsonb({}))
                 for at, action, a, b, actor in values["trail"]],
            )  # fmt: skip
    return len(rows)
