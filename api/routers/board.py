"""The desk's case board: active and recent rescue cases with their timelines and the
dispatch offers in progress, read-only and scoped (the dispatch part owns the actions at
/api/v1/cases)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from api.deps import Db, company_scope, require_roles
from api.pagination import Page, Paging, make_page
from api.security import Principal, Role
from fleet.map_repository import table_exists

router = APIRouter(prefix="/api/v1/board", tags=["case board"])

Reader = Annotated[
    Principal,
    Depends(require_roles(Role.SUPERVISOR, Role.DESK, Role.COMPANY, Role.RESCUER)),
]


class TimelineStep(BaseModel):
    at: datetime
    step: str
    actor: str
    detail: dict[str, Any]


class Offer(BaseModel):
    rescuer_id: int
    tier: int
    state: str
    offered_at: datetime
    eta_s: float
    distance_m: float


class BoardCase(BaseModel):
    id: int
    elevator_id: int
    elevator_code: str
    district: str
    address: str
    company_id: int
    source: str
    state: str
    tier: int
    rescuer_id: int | None
    people_trapped: int
    trapped_since: datetime
    reported_at: datetime
    accepted_at: datetime | None
    arrived_at: datetime | None
    released_at: datetime | None
    arrival_due_at: datetime | None
    insurance_flag: bool
    timeline: list[TimelineStep]
    offers: list[Offer] | None  # None: dispatch offers not deployed


@router.get("/cases", response_model=Page[BoardCase])
async def case_board(
    db: Db,
    principal: Reader,
    paging: Paging,
    active: Annotated[bool, Query(description="only cases still in progress")] = False,
    hours: Annotated[int, Query(ge=1, le=24 * 31, description="reported in the last N hours")] = 24,
) -> Page[BoardCase]:
    """Cases newest first, each with its timeline; a company sees its elevators' cases,
    a rescuer the cases assigned to them."""
    scope = company_scope(principal)
    rescuer = principal.rescuer_id if principal.role is Role.RESCUER else None
    if principal.role is Role.RESCUER and rescuer is None:
        rescuer = -1
    cur = await db.execute(
        """SELECT c.id, c.elevator_id, e.code, e.district, e.address, e.company_id, c.source,
                  c.state, c.tier, c.rescuer_id, c.people_trapped, c.trapped_since,
                  c.reported_at, c.accepted_at, c.arrived_at, c.released_at,
                  c.arrival_due_at, c.insurance_flag
           FROM rescue_cases c JOIN elevators e ON e.id = c.elevator_id
           WHERE (%(scope)s::integer IS NULL OR e.company_id = %(scope)s)
             AND (%(rescuer)s::integer IS NULL OR c.rescuer_id = %(rescuer)s)
             AND (NOT %(active)s OR c.state IN
                  ('reported', 'offered', 'accepted', 'en_route', 'on_site'))
             AND (c.reported_at >= now() - make_interval(hours => %(hours)s)
                  OR c.state IN ('reported', 'offered', 'accepted', 'en_route', 'on_site'))
           ORDER BY c.reported_at DESC, c.id DESC LIMIT %(limit)s OFFSET %(offset)s""",
        {
            "scope": scope,
            "rescuer": rescuer,
            "active": active,
            "hours": hours,
            "limit": paging.limit + 1,
            "offset": paging.offset,
        },
    )
    rows = await cur.fetchall()
    ids = [r[0] for r in rows]
    timelines: dict[int, list[TimelineStep]] = {i: [] for i in ids}
    cur = await db.execute(
        "SELECT case_id, at, step, actor, detail FROM case_events WHERE case_id = ANY(%s)"
        " ORDER BY case_id, at, id",
        (ids,),
    )
    for t in await cur.fetchall():
        timelines[t[0]].append(TimelineStep(at=t[1], step=t[2], actor=t[3], detail=t[4]))
    offers: dict[int, list[Offer]] | None = None
    if await table_exists(db, "dispatch_offers"):
        offers = {i: [] for i in ids}
        cur = await db.execute(
            "SELECT case_id, rescuer_id, tier, state, offered_at, eta_s, distance_m"
            " FROM dispatch_offers WHERE case_id = ANY(%s) ORDER BY case_id, offered_at, id",
            (ids,),
        )
        for o in await cur.fetchall():
            offers[o[0]].append(
                Offer(
                    rescuer_id=o[1],
                    tier=o[2],
                    state=o[3],
                    offered_at=o[4],
                    eta_s=o[5],
                    distance_m=o[6],
                )
            )
    items = [
        BoardCase(
            id=r[0],
            elevator_id=r[1],
            elevator_code=r[2],
            district=r[3],
            address=r[4],
            company_id=r[5],
            source=r[6],
            state=r[7],
            tier=r[8],
            rescuer_id=r[9],
            people_trapped=r[10],
            trapped_since=r[11],
            reported_at=r[12],
            accepted_at=r[13],
            arrived_at=r[14],
            released_at=r[15],
            arrival_due_at=r[16],
            insurance_flag=r[17],
            timeline=timelines[r[0]],
            offers=None if offers is None else offers[r[0]],
        )
        for r in rows
    ]
    return make_page(items, paging)
