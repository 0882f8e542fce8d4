"""On-demand maintenance: 3+2 scores with their explanation, the city distribution,
maintenance plans and work orders, and paperless completion of a work order.

A company user sees and acts only on its own elevators (others' answer 404, so their
existence is not revealed); supervisors, the desk and admins read everything.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

import psycopg
from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, status
from pydantic import BaseModel, Field, field_validator

from api.deps import Db, company_scope, require_roles
from api.pagination import Page, Paging, make_page
from api.security import Principal, Role
from domain.localtime import city_today
from maintenance.repository import (
    InvalidRecord,
    WorkOrderClosed,
    WorkOrderNotFound,
    complete_work_order,
    fetch_company_scores,
    fetch_distribution,
    fetch_elevator_company,
    fetch_plans,
    fetch_record,
    fetch_score,
    fetch_work_order_company,
    fetch_work_orders,
)

router = APIRouter(prefix="/api/v1", tags=["maintenance"])

Reader = Annotated[Principal, Depends(require_roles(Role.SUPERVISOR, Role.DESK, Role.COMPANY))]
Maintainer = Annotated[Principal, Depends(require_roles(Role.COMPANY))]
Id = Annotated[int, Path(ge=1, le=2_147_483_647)]
BigId = Annotated[int, Path(ge=1, le=9_223_372_036_854_775_807)]
Grade = Literal["A", "B", "C", "D"]


class Reason(BaseModel):
    code: str
    text: str


class ElevatorScore(BaseModel):
    elevator_id: int
    code: str
    company_id: int
    district: str
    computed_at: datetime
    total: float = Field(description="0..100; high is low risk")
    grade: Grade
    baseline: float = Field(description="total of the city-average elevator")
    factors: dict[str, float] = Field(description="factor scores 0..100")
    contributions: dict[str, float] = Field(
        description="points each factor adds to the baseline; they sum to total - baseline"
    )
    eligible: bool
    interval_days: int
    reasons: list[Reason]


class ScoreRow(BaseModel):
    elevator_id: int
    code: str
    district: str
    total: float
    grade: Grade
    eligible: bool
    interval_days: int
    computed_at: datetime


class DistributionCell(BaseModel):
    district: str
    grade: Grade
    elevators: int
    eligible: int
    mean_total: float


class Distribution(BaseModel):
    elevators: int
    by_grade: dict[str, int]
    by_district: dict[str, dict[str, int]]
    cells: list[DistributionCell]


class Plan(BaseModel):
    level: str
    interval_days: int
    last_done: date | None
    next_due: date
    overdue: bool
    reasons: list[Reason]


class WorkOrder(BaseModel):
    id: int
    elevator_id: int
    company_id: int
    level: str
    due_date: date
    state: str
    created_at: datetime
    reason: str
    done_at: datetime | None
    record_id: int | None


class MaintenancePlan(BaseModel):
    elevator_id: int
    plans: list[Plan]
    work_orders: list[WorkOrder]


class Completion(BaseModel):
    technician: str = Field(min_length=1, max_length=200)
    started_at: datetime
    ended_at: datetime
    items: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        min_length=1, max_length=500, description="maintenance items done (TSG T5002 annexes)"
    )
    findings: str = Field("", max_length=10_000)

    @field_validator("started_at", "ended_at")
    @classmethod
    def _aware(cls, v: datetime) -> datetime:
        if v.tzinfo is None:
            raise ValueError("needs a time zone offset, e.g. 2024-06-01T09:00:00+08:00")
        return v


class Record(BaseModel):
    id: int
    elevator_id: int
    company_id: int
    level: str
    technician: str
    started_at: datetime
    ended_at: datetime
    items: list[Any]
    findings: str
    due_date: date | None
    work_order_id: int | None


def _not_found(what: str) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, f"{what} not found")


async def _visible(db: Db, principal: Principal, elevator_id: int) -> int:
    company = await fetch_elevator_company(db, elevator_id)
    if company is None or not principal.sees_company(company):
        raise _not_found(f"elevator {elevator_id}")
    return company


@router.get("/elevators/{elevator_id}/score", response_model=ElevatorScore)
async def elevator_score(elevator_id: Id, db: Db, principal: Reader) -> ElevatorScore:
    """The elevator's 3+2 score, grade, factor scores, additive explanation and interval."""
    await _visible(db, principal, elevator_id)
    row = await fetch_score(db, elevator_id)
    if row is None:
        raise _not_found(f"score of elevator {elevator_id} (not computed yet)")
    return ElevatorScore.model_validate(row)


@router.get("/companies/{company_id}/scores", response_model=Page[ScoreRow])
async def company_scores(
    company_id: Id,
    db: Db,
    principal: Reader,
    paging: Paging,
    grade: Annotated[Grade | None, Query(description="only this grade")] = None,
) -> Page[ScoreRow]:
    """A company's fleet, riskiest (lowest total) first."""
    if not principal.sees_company(company_id):
        raise _not_found(f"company {company_id}")
    total, rows = await fetch_company_scores(db, company_id, grade, paging.limit + 1, paging.offset)
    return make_page([ScoreRow.model_validate(r) for r in rows], paging, total)


@router.get("/scores/distribution", response_model=Distribution)
async def distribution(db: Db, principal: Reader) -> Distribution:
    """Elevators by grade and by district (a company user: its own fleet)."""
    cells = [
        DistributionCell.model_validate(r)
        for r in await fetch_distribution(db, company_scope(principal))
    ]
    by_grade = {g: 0 for g in "ABCD"}
    by_district: dict[str, dict[str, int]] = {}
    for c in cells:
        by_grade[c.grade] += c.elevators
        by_district.setdefault(c.district, {g: 0 for g in "ABCD"})[c.grade] = c.elevators
    return Distribution(
        elevators=sum(by_grade.values()), by_grade=by_grade, by_district=by_district, cells=cells
    )


@router.get("/elevators/{elevator_id}/maintenance", response_model=MaintenancePlan)
async def maintenance_plan(
    elevator_id: Id,
    db: Db,
    principal: Reader,
    work_orders: Annotated[int, Query(ge=0, le=200, description="recent work orders")] = 20,
) -> MaintenancePlan:
    """Next due date per item level, with reasons, and the recent work orders."""
    await _visible(db, principal, elevator_id)
    today = city_today()
    plans = [
        Plan(**{**p, "overdue": p["next_due"] < today}) for p in await fetch_plans(db, elevator_id)
    ]
    orders = [
        WorkOrder.model_validate(w) for w in await fetch_work_orders(db, elevator_id, work_orders)
    ]
    return MaintenancePlan(elevator_id=elevator_id, plans=plans, work_orders=orders)


def _complete(url: str, work_order_id: int, company_id: int | None, body: Completion) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        return complete_work_order(
            conn,
            work_order_id,
            company_id=company_id,
            technician=body.technician,
            started_at=body.started_at,
            ended_at=body.ended_at,
            items=body.items,
            findings=body.findings,
            now=datetime.now(UTC),
        )


@router.post(
    "/work-orders/{work_order_id}/complete",
    response_model=Record,
    status_code=status.HTTP_201_CREATED,
)
async def complete(
    work_order_id: BigId, body: Completion, request: Request, db: Db, principal: Maintainer
) -> Record:
    """Complete a work order with its paperless maintenance record (the company's own)."""
    owner = await fetch_work_order_company(db, work_order_id)
    if owner is None or not principal.sees_company(owner):
        raise _not_found(f"work order {work_order_id}")
    scope = company_scope(principal)
    try:
        # alarms.repository is synchronous: run the transaction on a connection of its own.
        record_id = await asyncio.to_thread(
            _complete, request.app.state.config.database_url, work_order_id, scope, body
        )
    except WorkOrderNotFound:
        raise _not_found(f"work order {work_order_id}") from None
    except WorkOrderClosed as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    except InvalidRecord as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from None
    row = await fetch_record(db, record_id)
    assert row is not None
    return Record.model_validate(row)
