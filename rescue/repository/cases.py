"""Rescue cases, their timeline, the alarms that reached them and their escalations.

The engine serialises work on one case with ``get_case(..., lock=True)`` (row lock).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import class_row
from psycopg.types.json import Jsonb

from rescue.lifecycle import ACTIVE, ASSIGNED, CaseState
from rescue.model import RescueCase
from storage.events import CHANNEL

ACTIVE_STATES = tuple(state.value for state in CaseState if state in ACTIVE)
ASSIGNED_STATES = tuple(state.value for state in CaseState if state in ASSIGNED)

# The columns of a RescueCase, from rescue_cases c joined with elevators e.
CASE_COLUMNS = """c.id, c.elevator_id, e.code AS elevator_code, e.district, e.address,
       e.company_id, c.source, c.state, c.tier, c.rescuer_id, c.people_trapped,
       c.caller_phone, c.alarm_id, c.trapped_since, c.reported_at, c.decided_at,
       c.accepted_at, c.arrived_at, c.released_at, c.closed_at, c.arrival_due_at,
       c.insurance_flag, c.fire_service, e.lon, e.lat, c.end_request"""
CASE_FROM = "FROM rescue_cases c JOIN elevators e ON e.id = c.elevator_id"

_CASE_BY_ID = f"SELECT {CASE_COLUMNS} {CASE_FROM} WHERE c.id = %s"


def get_case(
    conn: psycopg.Connection[Any], case_id: int, *, lock: bool = False
) -> RescueCase | None:
    """The case with its elevator's company and position; ``lock`` takes its row lock."""
    sql = _CASE_BY_ID + (" FOR UPDATE OF c" if lock else "")
    with conn.cursor(row_factory=class_row(RescueCase)) as cur:
        return cur.execute(sql, (case_id,)).fetchone()


@dataclass(frozen=True)
class ElevatorRef:
    id: int
    code: str
    company_id: int
    district: str
    lon: float
    lat: float
    address: str


_ELEVATOR_SELECT = "SELECT id, code, company_id, district, lon, lat, address FROM elevators"


def get_elevator(conn: psycopg.Connection[Any], elevator_id: int) -> ElevatorRef | None:
    with conn.cursor(row_factory=class_row(ElevatorRef)) as cur:
        return cur.execute(_ELEVATOR_SELECT + " WHERE id = %s", (elevator_id,)).fetchone()


def find_elevators(
    conn: psycopg.Connection[Any], code: str | None, address: str | None, limit: int = 5
) -> list[ElevatorRef]:
    """Elevators by registration code (exact) or address (case-insensitive substring)."""
    with conn.cursor(row_factory=class_row(ElevatorRef)) as cur:
        if code:
            return cur.execute(_ELEVATOR_SELECT + " WHERE code = %s", (code,)).fetchall()
        if address:
            pattern = "%" + address.replace("%", r"\%").replace("_", r"\_") + "%"
            return cur.execute(
                _ELEVATOR_SELECT + " WHERE address ILIKE %s ORDER BY id LIMIT %s",
                (pattern, limit),
            ).fetchall()
    return []


@dataclass(frozen=True)
class CaseId:
    id: int


def _one_id(conn: psycopg.Connection[Any], sql: str, params: Sequence[Any]) -> int | None:
    with conn.cursor(row_factory=class_row(CaseId)) as cur:
        row = cur.execute(sql, params).fetchone()
    return row.id if row else None


def _ids(conn: psycopg.Connection[Any], sql: str, params: Sequence[Any]) -> list[int]:
    with conn.cursor(row_factory=class_row(CaseId)) as cur:
        return [row.id for row in cur.execute(sql, params).fetchall()]


def insert_case(
    conn: psycopg.Connection[Any],
    *,
    elevator_id: int,
    alarm_id: int | None,
    source: str,
    trapped_since: datetime,
    reported_at: datetime,
    arrival_due_at: datetime,
    people_trapped: int = 1,
    caller_phone: str = "",
) -> int | None:
    """Open a case; None when the elevator already has an active one (unique index)."""
    return _one_id(
        conn,
        """INSERT INTO rescue_cases (elevator_id, alarm_id, source, trapped_since, reported_at,
                                     arrival_due_at, people_trapped, caller_phone)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s)
           ON CONFLICT (elevator_id)
               WHERE state IN ('reported', 'offered', 'accepted', 'en_route', 'on_site')
           DO NOTHING RETURNING id""",
        (elevator_id, alarm_id, source, trapped_since, reported_at, arrival_due_at,
         people_trapped, caller_phone),
    )  # fmt: skip


def active_case_of_elevator(conn: psycopg.Connection[Any], elevator_id: int) -> int | None:
    return _one_id(
        conn,
        "SELECT id FROM rescue_cases WHERE elevator_id = %s AND state = ANY(%s)",
        (elevator_id, list(ACTIVE_STATES)),
    )


def active_case_of_rescuer(conn: psycopg.Connection[Any], rescuer_id: int) -> int | None:
    return _one_id(
        conn,
        "SELECT id FROM rescue_cases WHERE rescuer_id = %s AND state = ANY(%s)",
        (rescuer_id, list(ASSIGNED_STATES)),
    )


_SETTABLE = frozenset(
    {
        "state",
        "end_request",
        "tier",
        "rescuer_id",
        "decided_at",
        "accepted_at",
        "arrived_at",
        "released_at",
        "closed_at",
        "insurance_flag",
        "fire_service",
        "people_trapped",
    }
)


def set_case(conn: psycopg.Connection[Any], case_id: int, **columns: Any) -> None:
    """Update named columns of a case (names come from code, never from input)."""
    unknown = set(columns) - _SETTABLE
    if unknown or not columns:
        raise ValueError(f"cannot set case columns {sorted(unknown) or '(none)'}")
    assignments = ", ".join(f"{name} = %s" for name in columns)
    conn.execute(
        f"UPDATE rescue_cases SET {assignments} WHERE id = %s",  # noqa: S608 - fixed names
        (*columns.values(), case_id),
    )


def append_event(
    conn: psycopg.Connection[Any],
    case_id: int,
    at: datetime,
    step: str,
    actor: str,
    detail: dict[str, Any] | None = None,
) -> None:
    conn.execute(
        "INSERT INTO case_events (case_id, at, step, actor, detail) VALUES (%s, %s, %s, %s, %s)",
        (case_id, at, step, actor, Jsonb(detail or {})),
    )


def add_escalation(
    conn: psycopg.Connection[Any], case_id: int, kind: str, at: datetime, detail: dict[str, Any]
) -> bool:
    """A supervisor alert; False if this case already has one of this kind."""
    inserted = _one_id(
        conn,
        """INSERT INTO rescue_escalations (case_id, kind, at, detail) VALUES (%s, %s, %s, %s)
           ON CONFLICT (case_id, kind) DO NOTHING RETURNING id""",
        (case_id, kind, at, Jsonb(detail)),
    )
    return inserted is not None


# -- alarms that reach dispatch ---------------------------------------------------------


@dataclass(frozen=True)
class AlarmRef:
    """What intake needs of an alarm."""

    elevator_id: int
    type: str
    opened_at: datetime
    detail: Any


def listen_for_events(conn: psycopg.Connection[Any]) -> None:
    """Subscribe the connection to the live events (new alarms among them)."""
    conn.execute(f"LISTEN {CHANNEL}")


def get_alarm(conn: psycopg.Connection[Any], alarm_id: int) -> AlarmRef | None:
    with conn.cursor(row_factory=class_row(AlarmRef)) as cur:
        return cur.execute(
            "SELECT elevator_id, type, opened_at, detail FROM alarms WHERE id = %s", (alarm_id,)
        ).fetchone()


def link_alarm(
    conn: psycopg.Connection[Any], alarm_id: int, case_id: int, joined: bool, at: datetime
) -> bool:
    """Record that an alarm reached dispatch; False if it already had."""
    linked = _one_id(
        conn,
        """INSERT INTO rescue_case_alarms (alarm_id, case_id, joined, linked_at)
           VALUES (%s, %s, %s, %s) ON CONFLICT (alarm_id) DO NOTHING RETURNING alarm_id AS id""",
        (alarm_id, case_id, joined, at),
    )
    return linked is not None


def alarm_case(conn: psycopg.Connection[Any], alarm_id: int) -> int | None:
    return _one_id(
        conn, "SELECT case_id AS id FROM rescue_case_alarms WHERE alarm_id = %s", (alarm_id,)
    )


def unlinked_rescue_alarms(
    conn: psycopg.Connection[Any], types: Sequence[str], since: datetime, limit: int = 100
) -> list[int]:
    """Open rescue-type alarms that never reached dispatch (a missed notification)."""
    return _ids(
        conn,
        """SELECT a.id FROM alarms a
           WHERE a.type = ANY(%s) AND a.state = 'open' AND a.opened_at >= %s
             AND NOT EXISTS (SELECT 1 FROM rescue_case_alarms l WHERE l.alarm_id = a.id)
           ORDER BY a.opened_at LIMIT %s""",
        (list(types), since, limit),
    )


def unarrived_fire_service_cases(conn: psycopg.Connection[Any]) -> list[int]:
    """Cases handed to 119 whose crew has not arrived, still open."""
    return _ids(
        conn,
        "SELECT id FROM rescue_cases WHERE fire_service AND arrived_at IS NULL"
        " AND state NOT IN ('closed', 'false_alarm', 'cancelled')",
        (),
    )
