"""Alarm repository: raise (idempotently, one active alarm per elevator and type) and
resolve. Every change is announced on the live-event channel in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from domain.alarms import SEVERITY, AlarmType
from storage.events import notify

ACTIVE_STATES = ("open", "acknowledged", "in_progress")


@dataclass(frozen=True)
class RaisedAlarm:
    id: int
    created: bool  # False: an active alarm of this type existed and was updated


def raise_alarm(
    conn: psycopg.Connection[Any],
    elevator_id: int,
    alarm_type: AlarmType,
    at: datetime,
    source: str,
    detail: dict[str, Any] | None = None,
) -> RaisedAlarm:
    """Open an alarm, or update the active one of the same elevator and type.

    Safe under concurrent workers: the partial unique index ``alarms_one_active`` makes
    the insert-or-update atomic.
    """
    row = conn.execute(
        """INSERT INTO alarms (elevator_id, type, severity, source, opened_at, last_seen_at,
                               detail)
           VALUES (%s, %s, %s, %s, %s, %s, %s)
           ON CONFLICT (elevator_id, type) WHERE state IN ('open', 'acknowledged', 'in_progress')
           DO UPDATE SET last_seen_at = GREATEST(alarms.last_seen_at, EXCLUDED.last_seen_at),
                         occurrences = alarms.occurrences + 1,
                         detail = alarms.detail || EXCLUDED.detail
           RETURNING id, (xmax = 0)""",
        (
            elevator_id,
            alarm_type.value,
            int(SEVERITY[alarm_type]),
            source,
            at,
            at,
            Jsonb(detail or {}),
        ),
    ).fetchone()
    assert row is not None
    raised = RaisedAlarm(id=int(row[0]), created=bool(row[1]))
    if raised.created:
        notify(
            conn,
            "alarm",
            {
                "id": raised.id,
                "elevator_id": elevator_id,
                "type": alarm_type.value,
                "state": "open",
                "severity": int(SEVERITY[alarm_type]),
                "at": at.isoformat(),
            },
        )
    return raised


def resolve_alarm(
    conn: psycopg.Connection[Any], elevator_id: int, alarm_type: AlarmType, at: datetime
) -> int | None:
    """Resolve the active alarm of this elevator and type (the condition has cleared)."""
    row = conn.execute(
        """UPDATE alarms SET state = 'resolved', resolved_at = %s, last_seen_at = %s
           WHERE elevator_id = %s AND type = %s
             AND state IN ('open', 'acknowledged', 'in_progress')
           RETURNING id""",
        (at, at, elevator_id, alarm_type.value),
    ).fetchone()
    if row is None:
        return None
    notify(
        conn,
        "alarm",
        {
            "id": int(row[0]),
            "elevator_id": elevator_id,
            "type": alarm_type.value,
            "state": "resolved",
            "at": at.isoformat(),
        },
    )
    return int(row[0])
