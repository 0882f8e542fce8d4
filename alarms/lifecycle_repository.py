"""Alarm reads for the desk (list, detail, trail) and the life-cycle step's writes: the
row locked for update, the new state with its moment, the trail entry and the live
event, all in the caller's transaction. Which step is allowed is
:mod:`domain.alarm_lifecycle`'s rule, applied by :mod:`alarms.service`.
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.rows import class_row

from alarms.model import AlarmActionRecord, AlarmFilter, AlarmRecord, LockedAlarm
from domain.alarm_lifecycle import MOMENT_OF_ACTION, AlarmAction, Transitioned
from storage.events import anotify

_COLUMNS = """a.id, a.elevator_id, e.code AS elevator_code, e.district, e.company_id, a.type,
    a.severity, a.state, a.source, a.opened_at, a.last_seen_at, a.occurrences,
    a.acknowledged_at, a.resolved_at, a.closed_at, a.detail"""


async def lock_alarm(
    conn: psycopg.AsyncConnection[Any], alarm_id: int, company_id: int | None
) -> LockedAlarm | None:
    """The alarm's state, locked until the transaction ends; None when it does not exist
    (or, with ``company_id``, belongs to another company's elevator)."""
    async with conn.cursor(row_factory=class_row(LockedAlarm)) as cursor:
        await cursor.execute(
            """SELECT a.state, a.elevator_id, a.type AS alarm_type FROM alarms a
               JOIN elevators e ON e.id = a.elevator_id
               WHERE a.id = %s AND (%s::integer IS NULL OR e.company_id = %s)
               FOR UPDATE OF a""",
            (alarm_id, company_id, company_id),
        )
        return await cursor.fetchone()


async def record_transition(
    conn: psycopg.AsyncConnection[Any],
    step: Transitioned,
    action: AlarmAction,
    actor: str,
    note: str,
) -> None:
    """Write the new state (and the moment the action records, when still empty), the
    trail entry, and announce the change."""
    moment = MOMENT_OF_ACTION[action].value
    await conn.execute(
        f"UPDATE alarms SET state = %s, {moment} = COALESCE({moment}, now())"  # noqa: S608
        " WHERE id = %s",
        (step.to_state.value, step.alarm_id),
    )
    await conn.execute(
        """INSERT INTO alarm_actions (alarm_id, action, from_state, to_state, actor, note)
           VALUES (%s, %s, %s, %s, %s, %s)""",
        (step.alarm_id, action.value, step.from_state.value, step.to_state.value, actor, note),
    )
    await anotify(
        conn,
        "alarm",
        {
            "id": step.alarm_id,
            "elevator_id": step.elevator_id,
            "type": step.alarm_type,
            "state": step.to_state.value,
            "action": action.value,
            "actor": actor,
        },
    )


async def fetch_alarms(
    conn: psycopg.AsyncConnection[Any], where: AlarmFilter, limit: int, offset: int
) -> list[AlarmRecord]:
    """Alarms matching ``where``, newest first."""
    async with conn.cursor(row_factory=class_row(AlarmRecord)) as cursor:
        await cursor.execute(
            f"""SELECT {_COLUMNS} FROM alarms a JOIN elevators e ON e.id = a.elevator_id
               WHERE (%(states)s::text[] IS NULL OR a.state = ANY(%(states)s))
                 AND (%(types)s::text[] IS NULL OR a.type = ANY(%(types)s))
                 AND (%(elevator)s::integer IS NULL OR a.elevator_id = %(elevator)s)
                 AND (%(district)s::text IS NULL OR e.district = %(district)s)
                 AND (%(company)s::integer IS NULL OR e.company_id = %(company)s)
                 AND (%(sev)s::smallint IS NULL OR a.severity >= %(sev)s)
                 AND (%(since)s::timestamptz IS NULL OR a.opened_at >= %(since)s)
               ORDER BY a.opened_at DESC, a.id DESC
               LIMIT %(limit)s OFFSET %(offset)s""",  # noqa: S608
            {
                "states": where.states,
                "types": where.types,
                "elevator": where.elevator_id,
                "district": where.district,
                "company": where.company_id,
                "sev": where.min_severity,
                "since": where.since,
                "limit": limit,
                "offset": offset,
            },
        )
        return await cursor.fetchall()


async def fetch_alarm(
    conn: psycopg.AsyncConnection[Any], alarm_id: int, company_id: int | None
) -> AlarmRecord | None:
    async with conn.cursor(row_factory=class_row(AlarmRecord)) as cursor:
        await cursor.execute(
            f"""SELECT {_COLUMNS} FROM alarms a JOIN elevators e ON e.id = a.elevator_id
                WHERE a.id = %s AND (%s::integer IS NULL OR e.company_id = %s)""",  # noqa: S608
            (alarm_id, company_id, company_id),
        )
        return await cursor.fetchone()


async def fetch_alarm_history(
    conn: psycopg.AsyncConnection[Any], alarm_id: int
) -> list[AlarmActionRecord]:
    """The alarm's trail, oldest first."""
    async with conn.cursor(row_factory=class_row(AlarmActionRecord)) as cursor:
        await cursor.execute(
            "SELECT at, action, from_state, to_state, actor, note FROM alarm_actions"
            " WHERE alarm_id = %s ORDER BY at, id",
            (alarm_id,),
        )
        return await cursor.fetchall()
