"""Supervisor indicators by district or by maintenance company: fault rate, monthly
entrapment rate, insurance coverage against the 92 % target, maintenance on time and
overdue elevators. Rescue indicators (arrival times, 30-minute share) are served by the
dispatch part at /api/v1/rescue/indicators."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from api.deps import Db, company_scope, require_roles
from api.errors import AUTHENTICATED
from api.pagination import Page, Paging, make_page
from api.security import Principal, Role
from maintenance import service
from maintenance.model import GroupBy, IndicatorCounts

router = APIRouter(prefix="/api/v1/indicators", tags=["indicators"], responses=AUTHENTICATED)

Reader = Annotated[Principal, Depends(require_roles(Role.SUPERVISOR, Role.COMPANY))]
INSURANCE_TARGET_PCT = 92.0


class IndicatorRow(BaseModel):
    key: str
    name: str
    elevators: int  # in use
    faults: int
    fault_rate_pct: float  # faults / elevators in use x 100 %, over the period
    entrapments: int
    entrapment_rate_monthly_pct: float  # per 30 days
    insured: int
    insurance_coverage_pct: float
    insurance_target_met: bool
    maintenance_records: int
    maintenance_on_time_pct: float | None  # records finished by their due date
    overdue_elevators: int | None  # None: no maintenance plans yet


class Indicators(BaseModel):
    group_by: GroupBy
    days: int
    insurance_target_pct: float
    total: IndicatorRow
    groups: Page[IndicatorRow]


def _pct(part: float, whole: float) -> float:
    return round(100.0 * part / whole, 3) if whole else 0.0


def _row(counts: IndicatorCounts, days: int) -> IndicatorRow:
    elevators, insured = counts.elevators, counts.insured
    return IndicatorRow(
        key=counts.key,
        name=counts.name,
        elevators=elevators,
        faults=counts.faults,
        fault_rate_pct=_pct(counts.faults, elevators),
        entrapments=counts.entrapments,
        entrapment_rate_monthly_pct=round(_pct(counts.entrapments, elevators) * 30.0 / days, 4),
        insured=insured,
        insurance_coverage_pct=_pct(insured, elevators),
        insurance_target_met=_pct(insured, elevators) >= INSURANCE_TARGET_PCT,
        maintenance_records=counts.records,
        maintenance_on_time_pct=_pct(counts.on_time, counts.with_due) if counts.with_due else None,
        overdue_elevators=counts.overdue,
    )


@router.get("", response_model=Indicators)
async def indicators(
    db: Db,
    principal: Reader,
    paging: Paging,
    group_by: GroupBy = GroupBy.DISTRICT,
    days: Annotated[int, Query(ge=1, le=366, description="period: the last N days")] = 30,
) -> Indicators:
    """A company user gets the indicators of its own elevators only."""
    groups, total = await service.indicator_counts(
        db, group_by, company_scope(principal), days, paging.limit + 1, paging.offset
    )
    return Indicators(
        group_by=group_by,
        days=days,
        insurance_target_pct=INSURANCE_TARGET_PCT,
        total=_row(total, days),
        groups=make_page([_row(g, days) for g in groups], paging),
    )
