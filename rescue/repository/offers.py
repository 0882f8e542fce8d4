"""Dispatch offers: one per (case, rescuer), renewed when an unanswered one rings again."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import class_row

from rescue.model import Offer

# The columns of an Offer from dispatch_offers.
OFFER_COLUMNS = """id, case_id, rescuer_id, tier, round AS round_number, attempts, eta_s,
       distance_m, offered_at, expires_at, state, answered_at"""


def offers_of_case(conn: psycopg.Connection[Any], case_id: int) -> list[Offer]:
    """Every offer the case has had."""
    with conn.cursor(row_factory=class_row(Offer)) as cur:
        return cur.execute(
            f"SELECT {OFFER_COLUMNS} FROM dispatch_offers WHERE case_id = %s",  # noqa: S608
            (case_id,),
        ).fetchall()


def insert_offer(
    conn: psycopg.Connection[Any],
    *,
    case_id: int,
    rescuer_id: int,
    tier: int,
    round_number: int,
    eta_s: float,
    distance_m: float,
    offered_at: datetime,
    expires_at: datetime,
) -> Offer | None:
    """A new offer, or a renewed one for a rescuer asked before whose offer is closed."""
    with conn.cursor(row_factory=class_row(Offer)) as cur:
        return cur.execute(
            f"""INSERT INTO dispatch_offers (case_id, rescuer_id, tier, round, eta_s, distance_m,
                                             offered_at, expires_at)
                VALUES (%s, %s, %s, %s, %s, %s, %s, %s)
                ON CONFLICT (case_id, rescuer_id) DO UPDATE
                   SET tier = EXCLUDED.tier, round = EXCLUDED.round, eta_s = EXCLUDED.eta_s,
                       distance_m = EXCLUDED.distance_m, offered_at = EXCLUDED.offered_at,
                       expires_at = EXCLUDED.expires_at, state = 'pending', answered_at = NULL,
                       created_at = clock_timestamp(),
                       attempts = dispatch_offers.attempts + 1
                   WHERE dispatch_offers.state IN ('declined', 'expired', 'withdrawn')
                RETURNING {OFFER_COLUMNS}""",  # noqa: S608 - fixed text
            (case_id, rescuer_id, tier, round_number, eta_s, distance_m, offered_at, expires_at),
        ).fetchone()


def get_offer(
    conn: psycopg.Connection[Any], case_id: int, rescuer_id: int, *, lock: bool = False
) -> Offer | None:
    sql = (
        f"SELECT {OFFER_COLUMNS} FROM dispatch_offers"  # noqa: S608 - fixed text
        " WHERE case_id = %s AND rescuer_id = %s"
    )
    with conn.cursor(row_factory=class_row(Offer)) as cur:
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
) -> list[Offer]:
    """Close pending offers (of a case, of a rescuer, or all expired ones)."""
    with conn.cursor(row_factory=class_row(Offer)) as cur:
        return cur.execute(
            f"""UPDATE dispatch_offers SET state = %(state)s, answered_at = %(at)s
                WHERE state = 'pending'
                  AND (%(case)s::bigint IS NULL OR case_id = %(case)s)
                  AND (%(rescuer)s::integer IS NULL OR rescuer_id = %(rescuer)s)
                  AND (%(expired)s::timestamptz IS NULL OR expires_at <= %(expired)s)
                RETURNING {OFFER_COLUMNS}""",  # noqa: S608 - fixed text
            {
                "state": state,
                "at": at,
                "case": case_id,
                "rescuer": rescuer_id,
                "expired": only_expired_by,
            },
        ).fetchall()


def pending_offers(conn: psycopg.Connection[Any]) -> list[Offer]:
    """Every pending offer (the demo's rescuer agents poll these)."""
    with conn.cursor(row_factory=class_row(Offer)) as cur:
        return cur.execute(
            f"SELECT {OFFER_COLUMNS} FROM dispatch_offers"  # noqa: S608 - fixed text
            " WHERE state = 'pending'"
        ).fetchall()
