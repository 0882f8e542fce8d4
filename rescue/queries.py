"""The API's reads of rescue: cases, their detail, the desk's board, a rescuer's offers,
indicators; each scoped to what the reader may see (:class:`~rescue.model.CaseScope`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from typing import Any, TypeVar

import psycopg

from fleet.map_repository import table_exists
from rescue.config import DispatchSettings
from rescue.errors import NotFound
from rescue.model import (
    CALLER_DETAIL_KEYS,
    BoardCase,
    CaseDetail,
    CaseFilter,
    CaseScope,
    GroupBy,
    Indicator,
    Offer,
    RescueCase,
    TimelineEntry,
)
from rescue.repository import indicators as indicator_repository
from rescue.repository import rescuers as rescuer_repository
from rescue.repository import views
from rescue.repository.cases import ACTIVE_STATES

AsyncConnection = psycopg.AsyncConnection[Any]
Item = TypeVar("Item", TimelineEntry, Offer)


async def visible_case(conn: AsyncConnection, scope: CaseScope, case_id: int) -> RescueCase:
    """The case if the reader may see it; otherwise not found."""
    case = await views.visible_case(conn, scope, case_id)
    if case is None:
        raise NotFound(f"rescue case {case_id} not found")
    return case


async def list_cases(
    conn: AsyncConnection,
    scope: CaseScope,
    where: CaseFilter,
    *,
    active: bool,
    limit: int,
    offset: int,
) -> list[RescueCase]:
    """Visible cases matching the filter (``active``: only active states), newest first."""
    if active:
        wanted = where.states or list(ACTIVE_STATES)
        where = replace(where, states=[state for state in wanted if state in ACTIVE_STATES])
    return await views.list_cases(conn, scope, where, limit, offset)


async def case_detail(conn: AsyncConnection, scope: CaseScope, case_id: int) -> CaseDetail:
    """The case, its timeline and its offers (a rescuer sees only his own offer, and the
    caller's details only while involved: :func:`involved`)."""
    case = await visible_case(conn, scope, case_id)
    timeline = await views.timelines(conn, [case_id])
    offers = await views.offers_of_cases(conn, [case_id], scope.rescuer_id)
    if not involved(scope, case, offers):
        case, timeline = without_caller_details(case, timeline)
    return CaseDetail(case=case, timeline=timeline, offers=offers)


def involved(scope: CaseScope, case: RescueCase, offers: Iterable[Offer]) -> bool:
    """Whether the reader may see the caller's details: anyone but a rescuer (the scope
    already limits a company to its own elevators' cases), and a rescuer while he holds
    the case or has a pending offer of it (not once he declined, timed out, or the case
    went to someone else)."""
    rescuer = scope.rescuer_id
    if rescuer is None:
        return True
    if case.rescuer_id == rescuer:
        return True
    return any(o.rescuer_id == rescuer and o.state == "pending" for o in offers)


def without_caller_details(
    case: RescueCase, timeline: list[TimelineEntry]
) -> tuple[RescueCase, list[TimelineEntry]]:
    """The case and timeline with the caller's phone and the call's note taken out."""
    cleaned = [
        replace(
            entry, detail={k: v for k, v in entry.detail.items() if k not in CALLER_DETAIL_KEYS}
        )
        for entry in timeline
    ]
    return replace(case, caller_phone=""), cleaned


def _by_case(items: Iterable[Item], case_ids: list[int]) -> dict[int, list[Item]]:
    grouped: dict[int, list[Item]] = defaultdict(list)
    for item in items:
        grouped[item.case_id].append(item)
    return {case_id: grouped[case_id] for case_id in case_ids}


async def board(
    conn: AsyncConnection, scope: CaseScope, *, active: bool, hours: int, limit: int, offset: int
) -> list[BoardCase]:
    """The desk's board: recent and active cases with their timelines and offers."""
    cases = await views.board_cases(
        conn, scope, active=active, hours=hours, limit=limit, offset=offset
    )
    ids = [case.id for case in cases]
    timelines = _by_case(await views.timelines(conn, ids), ids)
    offers: dict[int, list[Offer]] | None = None
    if await table_exists(conn, "dispatch_offers"):  # a rescuer sees only his own offers
        offers = _by_case(await views.offers_of_cases(conn, ids, scope.rescuer_id), ids)
    return [
        BoardCase(
            case=case,
            timeline=timelines[case.id],
            offers=None if offers is None else offers[case.id],
        )
        for case in cases
    ]


async def pending_offers(conn: AsyncConnection, rescuer_id: int | None) -> list[Offer]:
    """The rescuer's open offers, oldest first."""
    return await views.pending_offers_of_rescuer(conn, rescuer_id)


async def check_rescuer_of_company(
    conn: AsyncConnection, rescuer_id: int, company_id: int | None
) -> None:
    """A company acts only for its own rescuers: anyone else is not found."""
    found = await rescuer_repository.company_of_rescuer(conn, rescuer_id)
    if found is None or found.company_id != company_id:
        raise NotFound(f"rescuer {rescuer_id} not found")


async def indicators(
    conn: AsyncConnection,
    settings: DispatchSettings,
    by: GroupBy,
    *,
    since: datetime | None,
    until: datetime | None,
    company_id: int | None,
) -> list[Indicator]:
    """Mean arrival and on-site times, share within 30 min, share decided within 5 min."""
    return await indicator_repository.indicators(
        conn,
        by,
        since=since,
        until=until,
        company_id=company_id,
        arrive_min=int(settings.urban_arrival_min),
        deadline_s=float(settings.decision_deadline_s),
    )
