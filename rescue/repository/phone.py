"""The rescuer's phone: its idempotent actions (sync, in the engine's transaction) and its
reads (async, for the API): open offers with their place, the rescuer's own case."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import class_row
from psycopg.types.json import Jsonb

from rescue.model import PhoneCase, PhoneOffer

AsyncConnection = psycopg.AsyncConnection[Any]


@dataclass(frozen=True)
class StoredAction:
    case_id: int
    kind: str
    outcome: dict[str, Any]


def claim_action(
    conn: psycopg.Connection[Any],
    rescuer_id: int,
    action_id: str,
    case_id: int,
    kind: str,
    done_at: datetime | None,
    now: datetime,
) -> bool:
    """Claim the action id for this rescuer; False if it was claimed before (a resend).
    A concurrent claim of the same id waits for the first one's transaction."""
    cur = conn.execute(
        """INSERT INTO rescuer_actions (rescuer_id, action_id, case_id, kind, done_at,
                                        received_at)
           VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (rescuer_id, action_id) DO NOTHING""",
        (rescuer_id, action_id, case_id, kind, done_at, now),
    )
    return cur.rowcount == 1


def stored_action(
    conn: psycopg.Connection[Any], rescuer_id: int, action_id: str
) -> StoredAction | None:
    with conn.cursor(row_factory=class_row(StoredAction)) as cur:
        return cur.execute(
            "SELECT case_id, kind, outcome FROM rescuer_actions"
            " WHERE rescuer_id = %s AND action_id = %s",
            (rescuer_id, action_id),
        ).fetchone()


def store_outcome(
    conn: psycopg.Connection[Any], rescuer_id: int, action_id: str, outcome: dict[str, Any]
) -> None:
    conn.execute(
        "UPDATE rescuer_actions SET outcome = %s WHERE rescuer_id = %s AND action_id = %s",
        (Jsonb(outcome), rescuer_id, action_id),
    )


_PLACE = """e.district, e.address, s.floor::integer AS floor, s.door_zone"""


async def open_offers(conn: AsyncConnection, rescuer_id: int) -> list[PhoneOffer]:
    """The rescuer's pending, unexpired offers with their case's place, oldest first."""
    async with conn.cursor(row_factory=class_row(PhoneOffer)) as cur:
        await cur.execute(
            f"""SELECT o.id, o.case_id, o.tier, o.eta_s, o.distance_m, o.offered_at,
                       o.expires_at, {_PLACE}, c.people_trapped, c.source
                FROM dispatch_offers o
                JOIN rescue_cases c ON c.id = o.case_id
                JOIN elevators e ON e.id = c.elevator_id
                LEFT JOIN elevator_status s ON s.elevator_id = c.elevator_id
                WHERE o.rescuer_id = %s AND o.state = 'pending' AND o.expires_at > now()
                ORDER BY o.offered_at, o.id""",  # noqa: S608 - fixed text
            (rescuer_id,),
        )
        return await cur.fetchall()


async def own_case(conn: AsyncConnection, rescuer_id: int) -> PhoneCase | None:
    """The rescuer's case in hand: assigned, or released and not yet closed."""
    async with conn.cursor(row_factory=class_row(PhoneCase)) as cur:
        await cur.execute(
            f"""SELECT c.id, c.state, c.source, e.code AS elevator_code, {_PLACE},
                       c.people_trapped, c.caller_phone, e.lon, e.lat, c.trapped_since,
                       c.reported_at, c.accepted_at, c.arrived_at, c.released_at,
                       c.arrival_due_at
                FROM rescue_cases c
                JOIN elevators e ON e.id = c.elevator_id
                LEFT JOIN elevator_status s ON s.elevator_id = c.elevator_id
                WHERE c.rescuer_id = %s
                  AND c.state IN ('accepted', 'en_route', 'on_site', 'released')
                ORDER BY c.accepted_at DESC NULLS LAST, c.id DESC LIMIT 1""",  # noqa: S608
            (rescuer_id,),
        )
        return await cur.fetchone()
