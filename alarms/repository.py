"""Alarm repository: raise (idempotently, one active alarm per elevator and type),
resolve, suppression windows. Every change is announced on the live-event channel in
the same transaction. The life-cycle steps and the desk's reads are in
:mod:`alarms.lifecycle_repository`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import psycopg
from psycopg.rows import class_row, scalar_row
from psycopg.types.json import Jsonb

from alarms.model import RaisedAlarm, RaisedAlarmOf, ResolvedAlarm, SuppressionWindow
from domain.alarms import SEVERITY, AlarmType
from storage.events import CHANNEL, encode_event, notify

ACTIVE_STATES = ("open", "acknowledged", "in_progress")

_RAISE_ONE = """
WITH recorded AS (
    SELECT id FROM alarms
    WHERE elevator_id = %(elevator_id)s AND type = %(type)s
      AND opened_at BETWEEN %(earliest)s AND %(latest)s
    ORDER BY opened_at DESC LIMIT 1
), raised AS (
    INSERT INTO alarms (elevator_id, type, severity, source, opened_at, last_seen_at, detail)
    SELECT %(elevator_id)s, %(type)s, %(severity)s, %(source)s, %(at)s, %(at)s, %(detail)s
    WHERE NOT EXISTS (SELECT 1 FROM recorded)
    ON CONFLICT (elevator_id, type) WHERE state IN ('open', 'acknowledged', 'in_progress')
    DO UPDATE SET last_seen_at = GREATEST(alarms.last_seen_at, EXCLUDED.last_seen_at),
                  occurrences = alarms.occurrences + 1,
                  detail = alarms.detail || EXCLUDED.detail
    RETURNING id, (xmax = 0) AS created
)
SELECT id, created, false AS replayed FROM raised
UNION ALL
SELECT id, false AS created, true AS replayed FROM recorded
"""
_RAISE_MANY = """
INSERT INTO alarms (elevator_id, type, severity, source, opened_at, last_seen_at, detail)
SELECT v.elevator_id, %(type)s, %(severity)s, %(source)s, %(at)s, %(at)s, v.detail
FROM unnest(%(ids)s::int[], %(details)s::jsonb[]) AS v(elevator_id, detail)
ON CONFLICT (elevator_id, type) WHERE state IN ('open', 'acknowledged', 'in_progress')
DO UPDATE SET last_seen_at = GREATEST(alarms.last_seen_at, EXCLUDED.last_seen_at),
              occurrences = alarms.occurrences + 1,
              detail = alarms.detail || EXCLUDED.detail
RETURNING id, elevator_id, (xmax = 0) AS created
"""


def raise_alarm(
    conn: psycopg.Connection[Any],
    elevator_id: int,
    alarm_type: AlarmType,
    at: datetime,
    source: str,
    detail: dict[str, Any] | None = None,
    onset_tolerance: timedelta = timedelta(0),
) -> RaisedAlarm:
    """Open an alarm, or update the active one of the same elevator and type; nothing
    when an alarm of this elevator and type with an onset within ``onset_tolerance`` of
    ``at`` is already recorded (a replayed raise: ``replayed`` is set).

    Safe under concurrent workers: the partial unique index ``alarms_one_active`` makes
    the insert-or-update atomic.
    """
    severity = int(SEVERITY[alarm_type])
    params = {
        "elevator_id": elevator_id, "type": alarm_type.value, "severity": severity,
        "source": source, "at": at, "detail": Jsonb(detail or {}),
        "earliest": at - onset_tolerance, "latest": at + onset_tolerance,
    }  # fmt: skip
    with conn.cursor(row_factory=class_row(RaisedAlarm)) as cursor:
        raised = cursor.execute(_RAISE_ONE, params).fetchone()
    assert raised is not None
    if raised.created:
        notify(
            conn,
            "alarm",
            {
                "id": raised.id,
                "elevator_id": elevator_id,
                "type": alarm_type.value,
                "state": "open",
                "severity": severity,
                "at": at.isoformat(),
                "source": source,
                "detail": detail or {},
            },
        )
    return raised


def resolve_alarm(
    conn: psycopg.Connection[Any], elevator_id: int, alarm_type: AlarmType, at: datetime
) -> int | None:
    """Resolve the active alarm of this elevator and type (the condition has cleared)."""
    with conn.cursor(row_factory=scalar_row) as cursor:
        alarm_id: int | None = cursor.execute(
            """UPDATE alarms SET state = 'resolved', resolved_at = %s, last_seen_at = %s
               WHERE elevator_id = %s AND type = %s
                 AND state IN ('open', 'acknowledged', 'in_progress')
               RETURNING id""",
            (at, at, elevator_id, alarm_type.value),
        ).fetchone()
    if alarm_id is None:
        return None
    notify(
        conn,
        "alarm",
        {
            "id": alarm_id,
            "elevator_id": elevator_id,
            "type": alarm_type.value,
            "state": "resolved",
            "at": at.isoformat(),
        },
    )
    return alarm_id


def raise_alarms(
    conn: psycopg.Connection[Any],
    alarm_type: AlarmType,
    at: datetime,
    source: str,
    elevator_ids: Sequence[int],
    details: Sequence[dict[str, Any]] | None = None,
) -> list[RaisedAlarm]:
    """:func:`raise_alarm` for many elevators in one statement (same semantics: open an
    alarm, or update the active one of the elevator and type); a live event is sent for
    each alarm opened. ``elevator_ids`` must be distinct; ``details`` parallel to them."""
    if details is not None and len(details) != len(elevator_ids):
        raise ValueError("details must be parallel to elevator_ids")
    if not elevator_ids:
        return []
    if len(set(elevator_ids)) != len(elevator_ids):
        raise ValueError("elevator_ids must be distinct")
    severity = int(SEVERITY[alarm_type])
    all_details = list(details or [{}] * len(elevator_ids))
    with conn.cursor(row_factory=class_row(RaisedAlarmOf)) as cursor:
        rows = cursor.execute(
            _RAISE_MANY,
            {
                "type": alarm_type.value,
                "severity": severity,
                "source": source,
                "at": at,
                "ids": list(elevator_ids),
                "details": [Jsonb(detail) for detail in all_details],
            },
        ).fetchall()
    detail_of = dict(zip(elevator_ids, all_details, strict=True))
    opened = {
        "type": alarm_type.value, "state": "open", "severity": severity, "at": at.isoformat(),
        "source": source,
    }  # fmt: skip
    _notify_all(
        conn,
        [
            encode_event(
                "alarm",
                {
                    "id": row.id,
                    "elevator_id": row.elevator_id,
                    **opened,
                    "detail": detail_of[row.elevator_id],
                },
            )
            for row in rows
            if row.created
        ],
    )
    return [RaisedAlarm(id=row.id, created=row.created) for row in rows]


def resolve_alarms(
    conn: psycopg.Connection[Any],
    alarm_type: AlarmType,
    at: datetime,
    elevator_ids: Sequence[int],
) -> list[tuple[int, int]]:
    """:func:`resolve_alarm` for many elevators in one statement; returns (alarm id,
    elevator id) of each alarm resolved, with a live event each."""
    if not elevator_ids:
        return []
    with conn.cursor(row_factory=class_row(ResolvedAlarm)) as cursor:
        rows = cursor.execute(
            """UPDATE alarms SET state = 'resolved', resolved_at = %(at)s,
                                 last_seen_at = %(at)s
               WHERE elevator_id = ANY(%(ids)s::int[]) AND type = %(type)s
                 AND state IN ('open', 'acknowledged', 'in_progress')
               RETURNING id, elevator_id""",
            {"at": at, "ids": list(elevator_ids), "type": alarm_type.value},
        ).fetchall()
    resolved = {"type": alarm_type.value, "state": "resolved", "at": at.isoformat()}
    _notify_all(
        conn,
        [
            encode_event("alarm", {"id": row.id, "elevator_id": row.elevator_id, **resolved})
            for row in rows
        ],
    )
    return [(row.id, row.elevator_id) for row in rows]


def _notify_all(conn: psycopg.Connection[Any], payloads: list[str]) -> None:
    """One live event per payload, in one statement."""
    if payloads:
        conn.execute(
            "SELECT count(pg_notify(%s, p)) FROM unnest(%s::text[]) AS p", (CHANNEL, payloads)
        )


# Set-based raise/resolve with a moment per elevator (ingest's presence changes when
# many terminals change at once): one statement each for the alarms and their events.
_RAISE_AT = """
WITH c (elevator_id, at) AS (SELECT * FROM unnest(%(ids)s::int[], %(ats)s::timestamptz[])),
up AS (
    INSERT INTO alarms (elevator_id, type, severity, source, opened_at, last_seen_at, detail)
    SELECT elevator_id, %(type)s, %(severity)s, %(source)s, at, at, %(detail)s::jsonb
    FROM c
    ON CONFLICT (elevator_id, type) WHERE state IN ('open', 'acknowledged', 'in_progress')
    DO UPDATE SET last_seen_at = GREATEST(alarms.last_seen_at, EXCLUDED.last_seen_at),
                  occurrences = alarms.occurrences + 1,
                  detail = alarms.detail || EXCLUDED.detail
    RETURNING id, elevator_id, opened_at, (xmax = 0) AS created
)
SELECT count(pg_notify(%(channel)s, json_build_object(
    'kind', 'alarm', 'id', id, 'elevator_id', elevator_id, 'type', %(type)s, 'state', 'open',
    'severity', %(severity)s, 'at', opened_at)::text))
FROM up WHERE created
"""
_RESOLVE_AT = """
WITH c (elevator_id, at) AS (SELECT * FROM unnest(%(ids)s::int[], %(ats)s::timestamptz[])),
r AS (
    UPDATE alarms a SET state = 'resolved', resolved_at = c.at, last_seen_at = c.at
    FROM c
    WHERE a.elevator_id = c.elevator_id AND a.type = %(type)s
      AND a.state IN ('open', 'acknowledged', 'in_progress')
    RETURNING a.id, a.elevator_id, c.at
)
SELECT count(pg_notify(%(channel)s, json_build_object(
    'kind', 'alarm', 'id', id, 'elevator_id', elevator_id, 'type', %(type)s,
    'state', 'resolved', 'at', at)::text))
FROM r
"""


def raise_alarms_at(
    cursor: psycopg.Cursor[Any],
    alarm_type: AlarmType,
    source: str,
    detail_json: str,
    elevator_ids: Sequence[int],
    moments: Sequence[datetime],
) -> None:
    """Raise (or update) one alarm per elevator, each at its own moment, with a live
    event for each alarm opened; ``detail_json`` is the same JSON object for all."""
    cursor.execute(
        _RAISE_AT,
        {
            "type": alarm_type.value,
            "severity": int(SEVERITY[alarm_type]),
            "source": source,
            "channel": CHANNEL,
            "ids": list(elevator_ids),
            "ats": list(moments),
            "detail": detail_json,
        },
    )


def resolve_alarms_at(
    cursor: psycopg.Cursor[Any],
    alarm_type: AlarmType,
    elevator_ids: Sequence[int],
    moments: Sequence[datetime],
) -> None:
    """Resolve the active alarm of each elevator at its own moment, with live events."""
    cursor.execute(
        _RESOLVE_AT,
        {
            "type": alarm_type.value,
            "channel": CHANNEL,
            "ids": list(elevator_ids),
            "ats": list(moments),
        },
    )


def add_suppression(
    conn: psycopg.Connection[Any],
    elevator_id: int,
    starts_at: datetime,
    ends_at: datetime,
    reason: str,
    created_by: str = "",
) -> int:
    """Record a maintenance/inspection window during which alarms are suppressed."""
    with conn.cursor(row_factory=scalar_row) as cursor:
        window_id: int | None = cursor.execute(
            """INSERT INTO suppression_windows (elevator_id, starts_at, ends_at, reason,
                                                created_by)
               VALUES (%s, %s, %s, %s, %s) RETURNING id""",
            (elevator_id, starts_at, ends_at, reason, created_by),
        ).fetchone()
    assert window_id is not None
    return window_id


def current_suppressions(conn: psycopg.Connection[Any], since: datetime) -> list[SuppressionWindow]:
    """Windows that end after ``since`` (current and upcoming)."""
    with conn.cursor(row_factory=class_row(SuppressionWindow)) as cursor:
        return cursor.execute(
            """SELECT elevator_id, starts_at, ends_at, reason FROM suppression_windows
               WHERE ends_at > %s ORDER BY elevator_id, starts_at""",
            (since,),
        ).fetchall()
