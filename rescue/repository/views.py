"""The API's reads of cases, timelines, offers and the desk's board (asynchronous).

Every read is scoped by a :class:`~rescue.model.CaseScope`: a company sees its own
elevators' cases, a rescuer the cases he was offered or holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg.rows import class_row

from rescue.model import CaseFilter, CaseScope, Offer, RescueCase, TimelineEntry
from rescue.repository.cases import ACTIVE_STATES, CASE_COLUMNS, CASE_FROM
from rescue.repository.offers import OFFER_COLUMNS

AsyncConnection = psycopg.AsyncConnection[Any]

_VISIBLE = """(%(company)s::integer IS NULL OR e.company_id = %(company)s)
    AND (%(rescuer)s::integer IS NULL OR c.rescuer_id = %(rescuer)s OR EXISTS (
         SELECT 1 FROM dispatch_offers o WHERE o.case_id = c.id AND o.rescuer_id = %(rescuer)s))"""


def _scope(scope: CaseScope) -> dict[str, int | None]:
    return {"company": scope.company_id, "rescuer": scope.rescuer_id}


async def visible_case(conn: AsyncConnection, scope: CaseScope, case_id: int) -> RescueCase | None:
    async with conn.cursor(row_factory=class_row(RescueCase)) as cur:
        await cur.execute(
            f"""SELECT {CASE_COLUMNS} {CASE_FROM}
                WHERE c.id = %(id)s AND {_VISIBLE}""",
            {"id": case_id, **_scope(scope)},
        )
        return await cur.fetchone()


async def list_cases(
    conn: AsyncConnection, scope: CaseScope, where: CaseFilter, limit: int, offset: int
) -> list[RescueCase]:
    """Visible cases matching the filter, newest first."""
    async with conn.cursor(row_factory=class_row(RescueCase)) as cur:
        await cur.execute(
            f"""SELECT {CASE_COLUMNS} {CASE_FROM}
                WHERE {_VISIBLE}
                  AND (%(states)s::text[] IS NULL OR c.state = ANY(%(states)s))
                  AND (%(district)s::text IS NULL OR e.district = %(district)s)
                  AND (%(filter_company)s::integer IS NULL OR e.company_id = %(filter_company)s)
                  AND (%(elevator)s::integer IS NULL OR c.elevator_id = %(elevator)s)
                  AND (%(since)s::timestamptz IS NULL OR c.reported_at >= %(since)s)
                  AND (%(until)s::timestamptz IS NULL OR c.reported_at < %(until)s)
                ORDER BY c.reported_at DESC, c.id DESC
                LIMIT %(limit)s OFFSET %(offset)s""",
            {
                **_scope(scope),
                "states": where.states,
                "district": where.district,
                "filter_company": where.company_id,
                "elevator": where.elevator_id,
                "since": where.since,
                "until": where.until,
                "limit": limit,
                "offset": offset,
            },
        )
        return await cur.fetchall()


async def board_cases(
    conn: AsyncConnection, scope: CaseScope, *, active: bool, hours: int, limit: int, offset: int
) -> list[RescueCase]:
    """Cases reported in the last ``hours`` or still active (only active ones if
    ``active``), newest first; a rescuer sees the cases assigned to him."""
    async with conn.cursor(row_factory=class_row(RescueCase)) as cur:
        await cur.execute(
            f"""SELECT {CASE_COLUMNS} {CASE_FROM}
                WHERE (%(company)s::integer IS NULL OR e.company_id = %(company)s)
                  AND (%(rescuer)s::integer IS NULL OR c.rescuer_id = %(rescuer)s)
                  AND (NOT %(active)s OR c.state = ANY(%(active_states)s))
                  AND (c.reported_at >= now() - make_interval(hours => %(hours)s)
                       OR c.state = ANY(%(active_states)s))
                ORDER BY c.reported_at DESC, c.id DESC
                LIMIT %(limit)s OFFSET %(offset)s""",
            {
                **_scope(scope),
                "active": active,
                "active_states": list(ACTIVE_STATES),
                "hours": hours,
                "limit": limit,
                "offset": offset,
            },
        )
        return await cur.fetchall()


async def timelines(conn: AsyncConnection, case_ids: Sequence[int]) -> list[TimelineEntry]:
    """The timeline entries of the cases, by case, then in order."""
    async with conn.cursor(row_factory=class_row(TimelineEntry)) as cur:
        await cur.execute(
            "SELECT case_id, at, step, actor, detail FROM case_events"
            " WHERE case_id = ANY(%s) ORDER BY case_id, at, id",
            (list(case_ids),),
        )
        return await cur.fetchall()


async def offers_of_cases(
    conn: AsyncConnection, case_ids: Sequence[int], rescuer_id: int | None = None
) -> list[Offer]:
    """Offers of the cases (only the rescuer's own if given), by case, oldest first."""
    async with conn.cursor(row_factory=class_row(Offer)) as cur:
        await cur.execute(
            f"""SELECT {OFFER_COLUMNS} FROM dispatch_offers
                WHERE case_id = ANY(%(cases)s)
                  AND (%(rescuer)s::integer IS NULL OR rescuer_id = %(rescuer)s)
                ORDER BY case_id, offered_at, id""",  # noqa: S608 - fixed text
            {"cases": list(case_ids), "rescuer": rescuer_id},
        )
        return await cur.fetchall()


async def pending_offers_of_rescuer(conn: AsyncConnection, rescuer_id: int | None) -> list[Offer]:
    async with conn.cursor(row_factory=class_row(Offer)) as cur:
        await cur.execute(
            f"""SELECT {OFFER_COLUMNS} FROM dispatch_offers
                WHERE rescuer_id = %s AND state = 'pending'
                ORDER BY offered_at""",  # noqa: S608 - fixed text
            (rescuer_id,),
        )
        return await cur.fetchall()
