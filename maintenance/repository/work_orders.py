"""Work orders, paperless completion records and overdue alarms.

The sync functions serve the score job (they use :mod:`alarms.repository`); the async
ones serve the completion of a work order and the API's reads of work orders and records.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import psycopg
from psycopg.rows import class_row, scalar_row
from psycopg.types.json import Jsonb

from alarms.repository import raise_alarms, resolve_alarms
from domain.alarms import AlarmType
from domain.localtime import CITY_TZ_NAME, city_date
from maintenance.model import Completion, Record, WorkOrder
from storage.events import anotify

SOURCE = "maintenance"


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


@dataclass(frozen=True)
class OverdueElevator:
    elevator_id: int
    levels: list[str]
    due: date  # the earliest due date of its overdue plans


def update_overdue_alarms(conn: psycopg.Connection[Any], as_of: datetime) -> OverdueReport:
    """Raise MAINTENANCE_OVERDUE for elevators with a plan past due and none active; resolve
    the active ones whose elevator is no longer overdue. Set-based: one query each for the
    overdue elevators and the active alarms, one statement each to raise and to resolve."""
    with conn.cursor(row_factory=class_row(OverdueElevator)) as cur:
        overdue = cur.execute(
            """SELECT elevator_id, array_agg(level ORDER BY level) AS levels, min(next_due) AS due
               FROM maintenance_plans WHERE next_due < %s GROUP BY elevator_id""",
            (city_date(as_of),),
        ).fetchall()
    with conn.cursor(row_factory=scalar_row) as cur:
        active_ids = cur.execute(
            """SELECT elevator_id FROM alarms WHERE type = %s
               AND state IN ('open', 'acknowledged', 'in_progress')""",
            (AlarmType.MAINTENANCE_OVERDUE.value,),
        ).fetchall()
    active = {int(elevator_id) for elevator_id in active_ids}
    new = [row for row in overdue if row.elevator_id not in active]
    raise_alarms(
        conn,
        AlarmType.MAINTENANCE_OVERDUE,
        as_of,
        SOURCE,
        [row.elevator_id for row in new],
        [{"levels": list(row.levels), "due": row.due.isoformat()} for row in new],
    )
    cleared = sorted(active - {row.elevator_id for row in overdue})
    resolved = resolve_alarms(conn, AlarmType.MAINTENANCE_OVERDUE, as_of, cleared)
    return OverdueReport(len(new), len(resolved), len(overdue))


# -- completion of a work order (async, in the caller's transaction) ---------------------


@dataclass(frozen=True)
class LockedWorkOrder:
    """A work order locked for its completion."""

    id: int
    elevator_id: int
    company_id: int
    level: str
    state: str
    due_date: date
    created_at: datetime


async def lock_work_order(
    conn: psycopg.AsyncConnection[Any], work_order_id: int
) -> LockedWorkOrder | None:
    cur = conn.cursor(row_factory=class_row(LockedWorkOrder))
    await cur.execute(
        """SELECT id, elevator_id, company_id, level, state, due_date, created_at
           FROM work_orders WHERE id = %s FOR UPDATE""",
        (work_order_id,),
    )
    return await cur.fetchone()


async def insert_record(
    conn: psycopg.AsyncConnection[Any],
    order: LockedWorkOrder,
    completion: Completion,
    recorded_at: datetime,
) -> int:
    """Store the completion record of ``order``, entered at ``recorded_at``; its id."""
    cur = conn.cursor(row_factory=scalar_row)
    await cur.execute(
        """INSERT INTO maintenance_records (elevator_id, company_id, level, technician,
               started_at, ended_at, items, findings, due_date, work_order_id, recorded_at)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id""",
        (
            order.elevator_id,
            order.company_id,
            order.level,
            completion.technician,
            completion.started_at,
            completion.ended_at,
            Jsonb(completion.items),
            completion.findings,
            order.due_date,
            order.id,
            recorded_at,
        ),
    )
    record_id = await cur.fetchone()
    if record_id is None:
        raise RuntimeError("the record insert returned no id")
    return int(record_id)


async def close_work_orders(
    conn: psycopg.AsyncConnection[Any], elevator_id: int, levels: Sequence[str], done_at: datetime
) -> None:
    """Mark the elevator's pending work orders of ``levels`` done."""
    await conn.execute(
        """UPDATE work_orders SET state = 'done', done_at = %s
           WHERE elevator_id = %s AND level = ANY(%s) AND state IN ('open', 'in_progress')""",
        (done_at, elevator_id, list(levels)),
    )


async def restart_plans(
    conn: psycopg.AsyncConnection[Any],
    elevator_id: int,
    levels: Sequence[str],
    done_at: datetime,
    now: datetime,
) -> None:
    """The plans of ``levels`` restart from the city-local day of ``done_at``."""
    await conn.execute(
        """UPDATE maintenance_plans
           SET last_done = (%(ended)s AT TIME ZONE %(tz)s)::date,
               next_due = (%(ended)s AT TIME ZONE %(tz)s)::date + interval_days,
               updated_at = %(now)s
           WHERE elevator_id = %(elevator)s AND level = ANY(%(levels)s)""",
        {
            "ended": done_at,
            "tz": CITY_TZ_NAME,
            "now": now,
            "elevator": elevator_id,
            "levels": list(levels),
        },
    )


async def has_overdue_plan(
    conn: psycopg.AsyncConnection[Any], elevator_id: int, today: date
) -> bool:
    cur = conn.cursor(row_factory=scalar_row)
    await cur.execute(
        "SELECT 1 FROM maintenance_plans WHERE elevator_id = %s AND next_due < %s LIMIT 1",
        (elevator_id, today),
    )
    return await cur.fetchone() is not None


async def resolve_overdue_alarm(
    conn: psycopg.AsyncConnection[Any], elevator_id: int, at: datetime
) -> int | None:
    """Resolve the elevator's active MAINTENANCE_OVERDUE alarm and announce it, as
    :func:`alarms.repository.resolve_alarm` does on a sync connection."""
    alarm_type = AlarmType.MAINTENANCE_OVERDUE.value
    cur = conn.cursor(row_factory=scalar_row)
    await cur.execute(
        """UPDATE alarms SET state = 'resolved', resolved_at = %s, last_seen_at = %s
           WHERE elevator_id = %s AND type = %s
             AND state IN ('open', 'acknowledged', 'in_progress')
           RETURNING id""",
        (at, at, elevator_id, alarm_type),
    )
    alarm_id = await cur.fetchone()
    if alarm_id is None:
        return None
    event = {
        "id": int(alarm_id),
        "elevator_id": elevator_id,
        "type": alarm_type,
        "state": "resolved",
        "at": at.isoformat(),
    }
    await anotify(conn, "alarm", event)
    return int(alarm_id)


# -- API reads ---------------------------------------------------------------------------


async def fetch_work_order_company(
    conn: psycopg.AsyncConnection[Any], work_order_id: int
) -> int | None:
    cur = conn.cursor(row_factory=scalar_row)
    await cur.execute("SELECT company_id FROM work_orders WHERE id = %s", (work_order_id,))
    company_id = await cur.fetchone()
    return None if company_id is None else int(company_id)


async def fetch_work_orders(
    conn: psycopg.AsyncConnection[Any], elevator_id: int, limit: int
) -> list[WorkOrder]:
    """The elevator's most recent work orders, newest first."""
    cur = conn.cursor(row_factory=class_row(WorkOrder))
    await cur.execute(
        """SELECT w.id, w.elevator_id, w.company_id, w.level, w.due_date, w.state,
                  w.created_at, w.reason, w.done_at, r.id AS record_id
           FROM work_orders w LEFT JOIN maintenance_records r ON r.work_order_id = w.id
           WHERE w.elevator_id = %s ORDER BY w.created_at DESC, w.id DESC LIMIT %s""",
        (elevator_id, limit),
    )
    return await cur.fetchall()


async def fetch_record(conn: psycopg.AsyncConnection[Any], record_id: int) -> Record | None:
    cur = conn.cursor(row_factory=class_row(Record))
    await cur.execute(
        """SELECT id, elevator_id, company_id, level, technician, started_at, ended_at, items,
                  findings, due_date, work_order_id FROM maintenance_records WHERE id = %s""",
        (record_id,),
    )
    return await cur.fetchone()
