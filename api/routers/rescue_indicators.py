"""Rescue indicators by district or by maintenance company (a company: its own only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status

from api.deps import Db, company_scope, require_roles
from api.errors import AUTHENTICATED
from api.params import IsoDateTime
from api.security import Principal, Role
from rescue import queries
from rescue.model import GroupBy, Indicator

router = APIRouter(prefix="/api/v1/rescue", tags=["rescue"], responses=AUTHENTICATED)


@router.get("/indicators", response_model=list[Indicator])
async def rescue_indicators(
    request: Request,
    db: Db,
    principal: Annotated[
        Principal, Depends(require_roles(Role.SUPERVISOR, Role.DESK, Role.COMPANY))
    ],
    by: Annotated[GroupBy, Query(description="district or company")] = "district",
    since: Annotated[IsoDateTime | None, Query(description="reported at or after")] = None,
    until: Annotated[IsoDateTime | None, Query(description="reported before")] = None,
    company: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
) -> list[Indicator]:
    """Mean arrival and on-site times, share within 30 min, share decided within 5 min."""
    scope = company_scope(principal)
    if scope is not None and company not in (None, scope):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "errors.indicators.own_company")
    if since and until and since >= until:
        raise HTTPException(422, "errors.indicators.since_before_until")
    return await queries.indicators(
        db,
        request.app.state.config.dispatch,
        by,
        since=since,
        until=until,
        company_id=scope if scope is not None else company,
    )
