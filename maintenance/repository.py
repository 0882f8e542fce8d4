"""Maintenance plans, work orders, paperless completion records and overdue alarms.

Sync functions serve the score job and the completion of a work order (they use
:mod:`alarms.repository`); the ``fetch_*`` coroutines serve the API's reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from alarms.repository import raise_alarms, resolve_alarm, resolve_alarms
from domain.alarms import AlarmType
from domain.errors import ConflictError, InvalidRequestError, LiftwatchError, NotFoundError
from domain.localtime import CITY_TZ_NAME, city_date

LEVELS = ("half_monthly", "quarterly", "half_yearly", "yearly")
PENDING = ("open", "in_progress")
SOURCE = "maintenance"


class MaintenanceError(LiftwatchError):
    """Base error of maintenance plans, work orders and records."""


class WorkOrderNotFound(MaintenanceError, NotFoundError):
    """No such work order (or not one of the caller's company)."""


class WorkOrderClosed(MaintenanceError, ConflictError):
    """The work order is already done or cancelled."""


class InvalidRecord(MaintenanceError, InvalidRequestError):
    """The completion record is inconsistent (times, items)."""


@dataclass(frozen=True)
class OverdueReport:
    raised: int
    resolved: int
    overdue_elevators: int


def refresh_work_orders(conn: psycopg.Connection[Any], as_of: date, horizon_days: int) -> int:
    """Open a work order for every plan due within the horizon that has none pending, and
    move pending orders' due dates to their plan's. Returns the number opened."""
    conn.execute(
        """UPDATE work_orders w SET due_date = p.next_due
           FROM maintenance_plans p
           WHERE w.state IN ('open', 'in_progress') AND p.elevator_id = w.elevator_id
             AND p.level = w.level AND p.next_due <> w.due_date"""
    )
    # Candidates first, with a hash anti-join against the pending orders (an INSERT ...
    # WHERE NOT EXISTS on the table it fills can be planned as a nested loop rescanning its
    # growing heap). The reason text of a job-written plan comes from its reason set
    # (computed once per set); plans written otherwise (no key) join their own reasons.
    conn.execute(
        """CREATE TEMP TABLE work_order_new ON COMMIT DROP AS
           SELECT p.elevator_id, p.level, p.next_due, p.reason_key, p.reasons
           FROM maintenance_plans p
           LEFT JOIN (SELECT elevator_id, level FROM work_orders
                      WHERE state IN ('open', 'in_progress')) w
                  ON w.elevator_id = p.elevator_id AND w.level = p.level
           WHERE p.next_due <= %s::date + %s::int AND w.elevator_id IS NULL""",
        (as_of, horizon_days),
    )
    cur = conn.execute(
        """WITH texts AS (
               SELECT key, (SELECT string_agg(r->>'text', '; ')
                            FROM jsonb_array_elements(reasons) r) AS text
               FROM maintenance_reason_sets
           )
           INSERT INTO work_orders (elevator_id, company_id, level, due_date, reason)
           SELECT n.elevator_id, e.company_id, n.level, n.next_due,
                  COALESCE(t.text, (SELECT string_agg(r->>'text', '; ')
                                    FROM jsonb_array_elements(n.reasons) r), '')
           FROM work_order_new n JOIN elevators e ON e.id = n.elevator_id
           LEFT JOIN texts t ON t.key = n.reason_key
           ON CONFLICT (elevator_id, level) WHERE state IN ('open', 'in_progress') DO NOTHING"""
    )
    conn.execute("DROP TABLE work_order_new")
    return cur.rowcount


def update_overdue_alarms(conn: psycopg.Connection[Any], as_of: datetime) -> OverdueReport:
    """Raise MAINTENANCE_OVERDUE for elevators with a plan past due and none active; resolve
    the active ones whose elevator is no longer overdue. Set-based: one query each for the
    overdue elevators and the active alarms, one statement each to raise and to resolve."""
    today = city_date(as_of)
    overdue = conn.execute(
        """SELECT elevator_id, array_agg(level ORDER BY level), min(next_due)
           FROM maintenance_plans WHERE next_due < %s GROUP BY elevator_id""",
        (today,),
    ).fetchall()
    active = {
        int(r[0])
        for r in conn.execute(
            """SELECT elevator_id FROM alarms WHERE type = %s
               AND state IN ('open', 'acknowledged', 'in_progress')""",
            (AlarmType.MAINTENANCE_OVERDUE.value,),
        ).fetchall()
    }
    new = [r for r in overdue if int(r[0]) not in active]
    raise_alarms(
        conn,
        AlarmType.MAINTENANCE_OVERDUE,
        as_of,
        SOURCE,
        [int(r[0]) for r in new],
        [{"levels": list(r[1]), "due": r[2].isoformat()} for r in new],
    )
    cleared = sorted(active - {int(r[0]) for r in overdue})
    resolved = resolve_alarms(conn, AlarmType.MAINTENANCE_OVERDUE, as_of, cleared)
    return OverdueReport(len(new), len(resolved), len(overdue))


def complete_work_order(
    conn: psycopg.Connection[Any],
    work_order_id: int,
    *,
    company_id: int | None,
    technician: str,
    started_at: datetime,
    ended_at: datetime,
    items: list[str],
    findings: str,
    now: datetime,
) -> int:
    """Record the paperless completion of a work order; returns the record id.

    ``company_id`` restricts to that company's work orders (None: any). The visit also
    does every level below its own (TSG T5002), so those plans restart from it too, and
    their pending work orders close with it. The elevator's overdue alarm is resolved
    when no plan of it is past due any more. Runs in one transaction.
    """
    if not technician.strip():
        raise InvalidRecord("technician must not be empty")
    if started_at.tzinfo is None or ended_at.tzinfo is None:
        raise InvalidRecord("started_at and ended_at need a time zone")
    if ended_at < started_at:
        raise InvalidRecord("ended_at is before started_at")
    if ended_at > now:
        raise InvalidRecord("ended_at is in the future")
    with conn.transaction():
        row = conn.execute(
            """SELECT elevator_id, company_id, level, state, due_date FROM work_orders
               WHERE id = %s FOR UPDATE""",
            (work_order_id,),
        ).fetchone()
        if row is None or (company_id is not None and row[1] != company_id):
            raise WorkOrderNotFound(f"work order {work_order_id} not found")
        elevator_id, order_company, level, state, due_date = row
        if state not in PENDING:
            raise WorkOrderClosed(f"work order {work_order_id} is {state}")
        rec = conn.execute(
            """INSERT INTO maintenance_records (elevator_id, company_id, level, technician,
                   started_at, ended_at, items, findings, due_date, work_order_id)
               VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id""",
            (
                elevator_id,
                order_company,
                level,
                technician.strip(),
                started_at,
                ended_at,
                Jsonb(items),
                findings,
                due_date,
                work_order_id,
            ),
        ).fetchone()
        assert rec is not None
        covered = list(LEVELS[: LEVELS.index(level) + 1])
        conn.execute(
            """UPDATE work_orders SET state = 'done', done_at = %s
               WHERE elevator_id = %s AND level = ANY(%s) AND state IN ('open', 'in_progress')""",
            (ended_at, elevator_id, covered),
        )
        conn.execute(
            """UPDATE maintenance_plans
               SET last_done = (%(ended)s AT TIME ZONE %(tz)s)::date,
                   next_due = (%(ended)s AT TIME ZONE %(tz)s)::date + interval_days,
                   updated_at = %(now)s
               WHERE elevator_id = %(elevator)s AND level = ANY(%(levels)s)""",
            {
                "ended": ended_at,
                "tz": CITY_TZ_NAME,
                "now": now,
                "elevator": elevator_id,
                "levels": covered,
            },
        )
        still = conn.execute(
            "SELECT 1 FROM maintenance_plans WHERE elevator_id = %s AND next_due < %s LIMIT 1",
            (elevator_id, city_date(now)),
        ).fetchone()
        if still is None:
            resolve_alarm(conn, elevator_id, AlarmType.MAINTENANCE_OVERDUE, now)
        return int(rec[0])


# -- API reads (async) -----------------------------------------------------------------


async def fetch_elevator_company(
    conn: psycopg.AsyncConnection[Any], elevator_id: int
) -> int | None:
    cur = await conn.execute("SELECT company_id FROM elevators WHERE id = %s", (elevator_id,))
    row = await cur.fetchone()
    return None if row is None else int(row[0])


async def fetch_score(
    conn: psycopg.AsyncConnection[Any], elevator_id: int
) -> dict[str, Any] | None:
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(
        """SELECT s.elevator_id, e.code, e.company_id, e.district, s.computed_at, s.total,
                  s.grade, s.baseline, s.factors, s.contributions, s.eligible,
                  s.interval_days, s.reasons
           FROM elevator_scores s JOIN elevators e ON e.id = s.elevator_id
           WHERE s.elevator_id = %s""",
        (elevator_id,),
    )
    return await cur.fetchone()


async def fetch_company_scores(
    conn: psycopg.AsyncConnection[Any],
    company_id: int,
    grade: str | None,
    limit: int,
    offset: int,
) -> tuple[int, list[dict[str, Any]]]:
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(
        """SELECT count(*) AS n FROM elevator_scores s JOIN elevators e ON e.id = s.elevator_id
           WHERE e.company_id = %(c)s AND (%(g)s::text IS NULL OR s.grade = %(g)s)""",
        {"c": company_id, "g": grade},
    )
    total = await cur.fetchone()
    await cur.execute(
        """SELECT s.elevator_id, e.code, e.district, s.total, s.grade, s.eligible,
                  s.interval_days, s.computed_at
           FROM elevator_scores s JOIN elevators e ON e.id = s.elevator_id
           WHERE e.company_id = %(c)s AND (%(g)s::text IS NULL OR s.grade = %(g)s)
           ORDER BY s.total, s.elevator_id LIMIT %(l)s OFFSET %(o)s""",
        {"c": company_id, "g": grade, "l": limit, "o": offset},
    )
    return (int(total["n"]) if total else 0), await cur.fetchall()


async def fetch_distribution(
    conn: psycopg.AsyncConnection[Any], company_id: int | None
) -> list[dict[str, Any]]:
    """Elevator counts by district and grade (restricted to one company when given)."""
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(
        """SELECT e.district, s.grade, count(*) AS elevators, avg(s.total)::float8 AS mean_total,
                  count(*) FILTER (WHERE s.eligible) AS eligible
           FROM elevator_scores s JOIN elevators e ON e.id = s.elevator_id
           WHERE %(c)s::int IS NULL OR e.company_id = %(c)s
           GROUP BY e.district, s.grade ORDER BY e.district, s.grade""",
        {"c": company_id},
    )
    return await cur.fetchall()


async def fetch_plans(conn: psycopg.AsyncConnection[Any], elevator_id: int) -> list[dict[str, Any]]:
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(
        """SELECT level, interval_days, last_done, next_due, reasons, updated_at
           FROM maintenance_plans WHERE elevator_id = %s
           ORDER BY array_position(%s::text[], level)""",
        (elevator_id, list(LEVELS)),
    )
    return await cur.fetchall()


async def fetch_work_orders(
    conn: psycopg.AsyncConnection[Any], elevator_id: int, limit: int
) -> list[dict[str, Any]]:
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(
        """SELECT w.id, w.elevator_id, w.company_id, w.level, w.due_date, w.state,
                  w.created_at, w.reason, w.done_at, r.id AS record_id
           FROM work_orders w LEFT JOIN maintenance_records r ON r.work_order_id = w.id
           WHERE w.elevator_id = %s ORDER BY w.created_at DESC, w.id DESC LIMIT %s""",
        (elevator_id, limit),
    )
    return await cur.fetchall()


async def fetch_work_order_company(
    conn: psycopg.AsyncConnection[Any], work_order_id: int
) -> int | None:
    cur = await conn.execute("SELECT company_id FROM work_orders WHERE id = %s", (work_order_id,))
    row = await cur.fetchone()
    return None if row is None else int(row[0])


async def fetch_record(conn: psycopg.AsyncConnection[Any], record_id: int) -> dict[str, Any] | None:
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(
        """SELECT id, elevator_id, company_id, level, technician, started_at, ended_at, items,
                  findings, due_date, work_order_id FROM maintenance_records WHERE id = %s""",
        (record_id,),
    )
    return await cur.fetchone()
