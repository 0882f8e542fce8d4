"""Alarm repository: raise (idempotently, one active alarm per elevator and type) and
resolve. Every change is announced on the live-event channel in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from domain.alarms import SEVERITY, AlarmType
from storage.events import CHANNEL, encode_event, notify

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
                "source": source,
                "detail": detail or {},
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
    rows = conn.execute(
        """INSERT INTO alarms (elevator_id, type, severity, source, opened_at, last_seen_at,
                               detail)
           SELECT v.elevator_id, %(type)s, %(severity)s, %(source)s, %(at)s, %(at)s, v.detail
           FROM unnest(%(ids)s::int[], %(details)s::jsonb[]) AS v(elevator_id, detail)
           ON CONFLICT (elevator_id, type) WHERE state IN ('open', 'acknowledged', 'in_progress')
           DO UPDATE SET last_seen_at = GREATEST(alarms.last_seen_at, EXCLUDED.last_seen_at),
                         occurrences = alarms.occurrences + 1,
                         detail = alarms.detail || EXCLUDED.detail
           RETURNING id, elevator_id, (xmax = 0)""",
        {
            "type": alarm_type.value,
            "severity": severity,
            "source": source,
            "at": at,
            "ids": list(elevator_ids),
            "details": [Jsonb(d) for d in (details or [{}] * len(elevator_ids))],
        },
    ).fetchall()
    detail_of = dict(zip(elevator_ids, details or [{}] * len(elevator_ids), strict=True))
    raised = [RaisedAlarm(id=int(r[0]), created=bool(r[2])) for r in rows]
    _notify_all(
        conn,
        [
            encode_event(
                "alarm",
                {
                    "id": int(r[0]),
                    "elevator_id": int(r[1]),
                    "type": alarm_type.value,
                    "state": "open",
                    "severity": severity,
                    "at": at.isoformat(),
                    "source": source,
                    "detail": detail_of[int(r[1])],
                },
            )
            for r in rows
            if r[2]
        ],
    )
    return raised


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
    rows = conn.execute(
        """UPDATE alarms SET state = 'resolved', resolved_at = %(at)s, last_seen_at = %(at)s
           WHERE elevator_id = ANY(%(ids)s::int[]) AND type = %(type)s
             AND state IN ('open', 'acknowledged', 'in_progress')
           RETURNING id, elevator_id""",
        {"at": at, "ids": list(elevator_ids), "type": alarm_type.value},
    ).fetchall()
    resolved = [(int(r[0]), int(r[1])) for r in rows]
    _notify_all(
        conn,
        [
            encode_event(
                "alarm",
                {
                    "id": alarm_id,
                    "elevator_id": elevator_id,
                    "type": alarm_type.value,
                    "state": "resolved",
                    "at": at.isoformat(),
                },
            )
            for alarm_id, elevator_id in resolved
        ],
    )
    return resolved


def _notify_all(conn: psycopg.Connection[Any], payloads: list[str]) -> None:
    """One live event per payload, in one statement."""
    if payloads:
        conn.execute(
            "SELECT count(pg_notify(%s, p)) FROM unnest(%s::text[]) AS p", (CHANNEL, payloads)
        )


@dataclass(frozen=True)
class AlarmChange:
    """A raise or clear to apply (what a detector emitted)."""

    elevator_id: int
    alarm_type: AlarmType
    raised: bool
    at: datetime
    source: str
    detail: dict[str, Any]


@dataclass(frozen=True)
class AppliedAlarm:
    change: AlarmChange
    alarm_id: int | None  # None: a clear with no active alarm to resolve
    created: bool  # a new alarm was opened (False: updated or resolved)


def apply_alarm_changes(
    conn: psycopg.Connection[Any], changes: Sequence[AlarmChange]
) -> list[AppliedAlarm]:
    """Raise and resolve several alarms in the caller's transaction, in order."""
    applied: list[AppliedAlarm] = []
    for c in changes:
        if c.raised:
            r = raise_alarm(conn, c.elevator_id, c.alarm_type, c.at, c.source, c.detail)
            applied.append(AppliedAlarm(c, r.id, r.created))
        else:
            rid = resolve_alarm(conn, c.elevator_id, c.alarm_type, c.at)
            applied.append(AppliedAlarm(c, rid, False))
    return applied


@dataclass(frozen=True)
class SuppressionWindow:
    elevator_id: int
    starts_at: datetime
    ends_at: datetime
    reason: str


def add_suppression(
    conn: psycopg.Connection[Any],
    elevator_id: int,
    starts_at: datetime,
    ends_at: datetime,
    reason: str,
    created_by: str = "",
) -> int:
    """Record a maintenance/inspection window during which alarms are suppressed."""
    row = conn.execute(
        """INSERT INTO suppression_windows (elevator_id, starts_at, ends_at, reason, created_by)
           VALUES (%s, %s, %s, %s, %s) RETURNING id""",
        (elevator_id, starts_at, ends_at, reason, created_by),
    ).fetchone()
    assert row is not None
    return int(row[0])


def current_suppressions(conn: psycopg.Connection[Any], since: datetime) -> list[SuppressionWindow]:
    """Windows that end after ``since`` (current and upcoming)."""
    rows = conn.execute(
        """SELECT elevator_id, starts_at, ends_at, reason FROM suppression_windows
           WHERE ends_at > %s ORDER BY elevator_id, starts_at""",
        (since,),
    ).fetchall()
    return [SuppressionWindow(int(r[0]), r[1], r[2], str(r[3])) for r in rows]
