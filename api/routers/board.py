"""The desk's case board: active and recent rescue cases with their timelines and the
dispatch offers in progress, read-only and scoped (the dispatch part owns the actions at
/api/v1/cases)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from api.deps import Db, require_roles
from api.errors import AUTHENTICATED
from api.pagination import Page, Paging, make_page
from api.routers.rescue_dispatch import case_scope
from api.routers.rescue_models import BoardCase
from api.security import Principal, Role
from rescue import queries
from rescue.model import BOARD_FIELDS
from rescue.model import BoardCase as BoardRecord

router = APIRouter(prefix="/api/v1/board", tags=["case board"], responses=AUTHENTICATED)

Reader = Annotated[
    Principal,
    Depends(require_roles(Role.SUPERVISOR, Role.DESK, Role.COMPANY, Role.RESCUER)),
]


def _board_case(record: BoardRecord) -> BoardCase:
    fields = {name: getattr(record.case, name) for name in BOARD_FIELDS}
    return BoardCase.model_validate(
        {**fields, "timeline": record.timeline, "offers": record.offers}
    )


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
    records = await queries.board(
        db,
        case_scope(principal),
        active=active,
        hours=hours,
        limit=paging.limit + 1,
        offset=paging.offset,
    )
    return make_page([_board_case(record) for record in records], paging)
