"""Rescue cases, their timeline and dispatch offers in PostgreSQL.

Invariants live in the database: one active case per elevator and one active case per
rescuer (partial unique indexes), one offer per (case, rescuer), the timeline
append-only (trigger). The engine serialises work on one case with ``lock_case``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

import psycopg
from psycopg.rows import class_row
from psycopg.types.json import Jsonb

ACTIVE_STATES = ("reported", "offered", "accepted", "en_route", "on_site")
ASSIGNED_STATES = ("accepted", "en_route", "on_site")


@dataclass
class CaseRow:
    id: int
    elevator_id: int
    alarm_id: int | None
    source: str
    state: str
    tier: int
    rescuer_id: int | None
    people_trapped: int
    caller_phone: str
    trapped_since: datetime
    reported_at: datetime
    decided_at: datetime | None
    accepted_at: datetime | None
    arrived_at: datetime | None
    released_at: datetime | None
    closed_at: datetime | None
    arrival_due_at: datetime | None
    insurance_flag: bool
    fire_service: bool
    company_id: int
    district: str
    code: str
    lon: float
    lat: float


_CASE_SELECT = """
SELECT c.id, c.elevator_id, c.alarm_id, c.source, c.state, c.tier, c.rescuer_id,
       c.people_trapped, c.caller_phone, c.trapped_since, c.reported_at, c.decided_at,
       c.accepted_at, c.arrived_at, c.released_at, c.closed_at, c.arrival_due_at,
       c.insurance_flag, c.fire_service, e.company_id, e.district, e.code, e.lon, e.lat
FROM rescue_cases c JOIN elevators e ON e.id = c.elevator_id
WHERE c.id = %s
"""


def get_case(conn: psycopg.Connection[Any], case_id: int, *, lock: bool = False) -> CaseRow | None:
    """The case with its elevator's company and position; ``lock`` takes its row lock."""
    sql = _CASE_SELECT + (" FOR UPDATE OF c" if lock else "")
    with conn.cursor(row_factory=class_row(CaseRow)) as cur:
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
    row = conn.execute(
        """INSERT INTO rescue_cases (elevator_id, alarm_id, source, trapped_since, reported_at,
                                     arrival_due_at, people_trapped, caller_phone)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s)
           ON CONFLICT (elevator_id)
               WHERE state IN ('reported', 'offered', 'accepted', 'en_route', 'on_site')
           DO NOTHING RETURNING id""",
        (
            elevator_id,
            alarm_id,
            source,
            trapped_since,
            reported_at,
            arrival_due_at,
            people_trapped,
            caller_phone,
        ),
    ).fetchone()
    return int(row[0]) if row else None


def active_case_of_elevator(conn: psycopg.Connection[Any], elevator_id: int) -> int | None:
    row = conn.execute(
        "SELECT id FROM rescue_cases WHERE elevator_id = %s AND state = ANY(%s)",
        (elevator_id, list(ACTIVE_STATES)),
    ).fetchone()
    return int(row[0]) if row else None


def active_case_of_rescuer(conn: psycopg.Connection[Any], rescuer_id: int) -> int | None:
    row = conn.execute(
        "SELECT id FROM rescue_cases WHERE rescuer_id = %s AND state = ANY(%s)",
        (rescuer_id, list(ASSIGNED_STATES)),
    ).fetchone()
    return int(row[0]) if row else None


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


def link_alarm(
    conn: psycopg.Connection[Any], alarm_id: int, case_id: int, joined: bool, at: datetime
) -> bool:
    """Record that an alarm reached dispatch; False if it already had."""
    row = conn.execute(
        """INSERT INTO rescue_case_alarms (alarm_id, case_id, joined, linked_at)
           VALUES (%s, %s, %s, %s) ON CONFLICT (alarm_id) DO NOTHING RETURNING alarm_id""",
        (alarm_id, case_id, joined, at),
    ).fetchone()
    return row is not None


def alarm_case(conn: psycopg.Connection[Any], alarm_id: int) -> int | None:
    row = conn.execute(
        "SELECT case_id FROM rescue_case_alarms WHERE alarm_id = %s", (alarm_id,)
    ).fetchone()
    return int(row[0]) if row else None


def unlinked_rescue_alarms(
    conn: psycopg.Connection[Any], types: Sequence[str], since: datetime, limit: int = 100
) -> list[int]:
    """Open rescue-type alarms that never reached dispatch (a missed notification)."""
    rows = conn.execute(
        """SELECT a.id FROM alarms a
           WHERE a.type = ANY(%s) AND a.state = 'open' AND a.opened_at >= %s
             AND NOT EXISTS (SELECT 1 FROM rescue_case_alarms l WHERE l.alarm_id = a.id)
           ORDER BY a.opened_at LIMIT %s""",
        (list(types), since, limit),
    ).fetchall()
    return [int(r[0]) for r in rows]


@dataclass(frozen=True)
class CandidateRow:
    rescuer_id: int
    company_id: int | None
    station_id: int | None
    lon: float
    lat: float


def available_rescuers(
    conn: psycopg.Connection[Any],
    now_local: time,
    bbox: tuple[float, float, float, float],
    company_id: int | None = None,
    respect_shifts: bool = True,
) -> list[CandidateRow]:
    """Rescuers free to take an offer: available, on shift, holding no active case and
    no open offer, inside ``bbox`` (min lon, min lat, max lon, max lat)."""
    with conn.cursor(row_factory=class_row(CandidateRow)) as cur:
        return cur.execute(
            """SELECT r.id AS rescuer_id, r.company_id, r.station_id, r.lon, r.lat
               FROM rescuers r
               WHERE r.available
                 AND (%(company)s::integer IS NULL OR r.company_id = %(company)s)
                 AND r.lon BETWEEN %(x0)s AND %(x1)s AND r.lat BETWEEN %(y0)s AND %(y1)s
                 AND (NOT %(shifts)s OR r.shift_start = r.shift_end
                      OR (r.shift_start < r.shift_end
                          AND %(t)s >= r.shift_start AND %(t)s < r.shift_end)
                      OR (r.shift_start > r.shift_end
                          AND (%(t)s >= r.shift_start OR %(t)s < r.shift_end)))
                 AND NOT EXISTS (SELECT 1 FROM rescue_cases c WHERE c.rescuer_id = r.id
                                 AND c.state IN ('accepted', 'en_route', 'on_site'))
                 AND NOT EXISTS (SELECT 1 FROM dispatch_offers o WHERE o.rescuer_id = r.id
                                 AND o.state = 'pending')""",
            {
                "company": company_id,
                "x0": bbox[0],
                "y0": bbox[1],
                "x1": bbox[2],
                "y1": bbox[3],
                "t": now_local,
                "shifts": respect_shifts,
            },
        ).fetchall()


def offers_of_case(conn: psycopg.Connection[Any], case_id: int) -> list[tuple[int, str, int]]:
    """(rescuer_id, state, attempts) of every offer the case has had."""
    rows = conn.execute(
        "SELECT rescuer_id, state, attempts FROM dispatch_offers WHERE case_id = %s", (case_id,)
    ).fetchall()
    return [(int(r[0]), str(r[1]), int(r[2])) for r in rows]


@dataclass(frozen=True)
class OfferRow:
    id: int
    case_id: int
    rescuer_id: int
    tier: int
    round: int
    eta_s: float
    distance_m: float
    offered_at: datetime
    expires_at: datetime
    state: str
    answered_at: datetime | None


def insert_offer(
    conn: psycopg.Connection[Any],
    *,
    case_id: int,
    rescuer_id: int,
    tier: int,
    round_no: int,
    eta_s: float,
    distance_m: float,
    offered_at: datetime,
    expires_at: datetime,
) -> OfferRow | None:
    """A new offer, or a renewed one for a rescuer asked before whose offer is closed."""
    with conn.cursor(row_factory=class_row(OfferRow)) as cur:
        return cur.execute(
            """INSERT INTO dispatch_offers (case_id, rescuer_id, tier, round, eta_s, distance_m,
                                             offered_at, expires_at)
                VALUES (%s, %s, %s, %s, %s, %s, %s, %s)
                ON CONFLICT (case_id, rescuer_id) DO UPDATE
                   SET tier = EXCLUDED.tier, round = EXCLUDED.round, eta_s = EXCLUDED.eta_s,
                       distance_m = EXCLUDED.distance_m, offered_at = EXCLUDED.offered_at,
                       expires_at = EXCLUDED.expires_at, state = 'pending', answered_at = NULL,
                       created_at = clock_timestamp(),
                       attempts = dispatch_offers.attempts + 1
                   WHERE dispatch_offers.state IN ('declined', 'expired', 'withdrawn')
                RETURNING id, case_id, rescuer_id, tier, round, eta_s, distance_m, offered_at,
                          expires_at,
                          state, answered_at""",
            (case_id, rescuer_id, tier, round_no, eta_s, distance_m, offered_at, expires_at),
        ).fetchone()


def get_offer(
    conn: psycopg.Connection[Any], case_id: int, rescuer_id: int, *, lock: bool = False
) -> OfferRow | None:
    sql = (
        "SELECT id, case_id, rescuer_id, tier, round, eta_s, distance_m, offered_at,"
        " expires_at, state, answered_at FROM dispatch_offers"
        " WHERE case_id = %s AND rescuer_id = %s"
    )
    with conn.cursor(row_factory=class_row(OfferRow)) as cur:
        return cur.execute(sql + (" FOR UPDATE" if lock else ""), (case_id, rescuer_id)).fetchone()


def answer_offer(conn: psycopg.Connection[Any], offer_id: int, state: str, at: datetime) -> None:
    """Record a rescuer's answer (accepted / declined) to one offer."""
    conn.execute(
        "UPDATE dispatch_offers SET state = %s, answered_at = %s WHERE id = %s",
        (state, at, offer_id),
    )


def close_offers(
    conn: psycopg.Connection[Any],
    *,
    state: str,
    at: datetime,
    case_id: int | None = None,
    rescuer_id: int | None = None,
    only_expired_by: datetime | None = None,
) -> list[OfferRow]:
    """Close pending offers (of a case, of a rescuer, or all expired ones)."""
    with conn.cursor(row_factory=class_row(OfferRow)) as cur:
        return cur.execute(
            """UPDATE dispatch_offers SET state = %(state)s, answered_at = %(at)s
                WHERE state = 'pending'
                  AND (%(case)s::bigint IS NULL OR case_id = %(case)s)
                  AND (%(rescuer)s::integer IS NULL OR rescuer_id = %(rescuer)s)
                  AND (%(expired)s::timestamptz IS NULL OR expires_at <= %(expired)s)
                RETURNING id, case_id, rescuer_id, tier, round, eta_s, distance_m, offered_at,
                          expires_at,
                          state, answered_at""",
            {
                "state": state,
                "at": at,
                "case": case_id,
                "rescuer": rescuer_id,
                "expired": only_expired_by,
            },
        ).fetchall()


def set_case(conn: psycopg.Connection[Any], case_id: int, **columns: Any) -> None:
    """Update named columns of a case (names come from code, never from input)."""
    allowed = {
        "state",
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
    unknown = set(columns) - allowed
    if unknown or not columns:
        raise ValueError(f"cannot set case columns {sorted(unknown) or '(none)'}")
    assignments = ", ".join(f"{name} = %s" for name in columns)
    conn.execute(
        f"UPDATE rescue_cases SET {assignments} WHERE id = %s",  # noqa: S608 - fixed names
        (*columns.values(), case_id),
    )


def set_rescuer_position(
    conn: psycopg.Connection[Any], rescuer_id: int, lon: float, lat: float, at: datetime
) -> bool:
    cur = conn.execute(
        "UPDATE rescuers SET lon = %s, lat = %s, position_at = %s WHERE id = %s",
        (lon, lat, at, rescuer_id),
    )
    return cur.rowcount == 1


def add_escalation(
    conn: psycopg.Connection[Any], case_id: int, kind: str, at: datetime, detail: dict[str, Any]
) -> bool:
    """A supervisor alert; False if this case already has one of this kind."""
    row = conn.execute(
        """INSERT INTO rescue_escalations (case_id, kind, at, detail) VALUES (%s, %s, %s, %s)
           ON CONFLICT (case_id, kind) DO NOTHING RETURNING id""",
        (case_id, kind, at, Jsonb(detail)),
    ).fetchone()
    return row is not None
