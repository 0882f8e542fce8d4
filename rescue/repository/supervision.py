"""What the once-a-second supervision looks for: undecided cases, overdue arrivals,
insurance limits, and the earliest moment any of them falls due."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import class_row

from rescue.repository.cases import ACTIVE_STATES, CaseId


@dataclass(frozen=True)
class UndecidedCase:
    id: int
    reported_at: datetime
    tier: int
    pending_offers: int


def undecided_cases(conn: psycopg.Connection[Any], states: Sequence[str]) -> list[UndecidedCase]:
    """Cases in ``states`` (the undecided ones), oldest first, with their pending offers."""
    with conn.cursor(row_factory=class_row(UndecidedCase)) as cur:
        return cur.execute(
            """SELECT c.id, c.reported_at, c.tier,
                      (SELECT count(*) FROM dispatch_offers o
                       WHERE o.case_id = c.id AND o.state = 'pending') AS pending_offers
               FROM rescue_cases c WHERE c.state = ANY(%s) ORDER BY c.reported_at""",
            (list(states),),
        ).fetchall()


def _ids(conn: psycopg.Connection[Any], sql: str, params: Sequence[Any]) -> list[int]:
    with conn.cursor(row_factory=class_row(CaseId)) as cur:
        return [row.id for row in cur.execute(sql, params).fetchall()]


def breached_cases(conn: psycopg.Connection[Any], now: datetime) -> list[int]:
    """Active cases whose arrival is overdue and not yet escalated."""
    return _ids(
        conn,
        """SELECT c.id FROM rescue_cases c
           WHERE c.state = ANY(%s) AND c.arrived_at IS NULL AND c.arrival_due_at <= %s
             AND NOT EXISTS (SELECT 1 FROM rescue_escalations x
                             WHERE x.case_id = c.id AND x.kind = 'sla_breach')""",
        (list(ACTIVE_STATES), now),
    )


def insurance_due_cases(conn: psycopg.Connection[Any], trapped_before: datetime) -> list[int]:
    """Active cases not flagged whose passengers were trapped at or before the limit."""
    return _ids(
        conn,
        """SELECT id FROM rescue_cases WHERE state = ANY(%s) AND NOT insurance_flag
             AND trapped_since <= %s""",
        (list(ACTIVE_STATES), trapped_before),
    )


@dataclass(frozen=True)
class DueTimes:
    """The earliest pending deadlines (None: nothing of that kind pending)."""

    offer_expires_at: datetime | None
    arrival_due_at: datetime | None
    trapped_since: datetime | None


def due_times(conn: psycopg.Connection[Any]) -> DueTimes:
    """Earliest offer expiry, unescalated arrival deadline and unflagged trapping."""
    with conn.cursor(row_factory=class_row(DueTimes)) as cur:
        row = cur.execute(
            """SELECT
                 (SELECT min(expires_at) FROM dispatch_offers WHERE state = 'pending')
                   AS offer_expires_at,
                 (SELECT min(c.arrival_due_at) FROM rescue_cases c
                  WHERE c.state = ANY(%(active)s) AND c.arrived_at IS NULL
                    AND NOT EXISTS (SELECT 1 FROM rescue_escalations x
                                    WHERE x.case_id = c.id AND x.kind = 'sla_breach'))
                   AS arrival_due_at,
                 (SELECT min(trapped_since) FROM rescue_cases
                  WHERE state = ANY(%(active)s) AND NOT insurance_flag) AS trapped_since""",
            {"active": list(ACTIVE_STATES)},
        ).fetchone()
    assert row is not None  # one row of aggregates, always
    return row
