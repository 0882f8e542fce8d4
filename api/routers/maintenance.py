"""On-demand maintenance: 3+2 scores with their explanation, the city distribution,
maintenance plans and work orders, and paperless completion of a work order.

A company user sees and acts only on its own elevators (others' answer 404, so their
existence is not revealed); supervisors, the desk and admins read everything.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, status
from pydantic import BaseModel, ConfigDict, Field, field_validator

from api.deps import Db, company_scope, require_roles
from api.errors import AUTHENTICATED, NOT_FOUND, NOT_FOUND_OR_CONFLICT
from api.pagination import Page, Paging, make_page
from api.projection import projection
from api.security import Principal, Role
from maintenance import model, service

router = APIRouter(prefix="/api/v1", tags=["maintenance"], responses=AUTHENTICATED)

Reader = Annotated[Principal, Depends(require_roles(Role.SUPERVISOR, Role.DESK, Role.COMPANY))]
Maintainer = Annotated[Principal, Depends(require_roles(Role.COMPANY))]
Id = Annotated[int, Path(ge=1, le=2_147_483_647)]
BigId = Annotated[int, Path(ge=1, le=9_223_372_036_854_775_807)]
Grade = Literal["A", "B", "C", "D"]


# One reason of a score or a plan (the records hold them as ``{code, text}``).
class Reason(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    text: str


# The responses: projections of the records in ``maintenance.model`` (api.projection);
# the API states the grade's four values and the nested responses.
if TYPE_CHECKING:
    ElevatorScore = BaseModel
    ScoreRow = BaseModel
    DistributionCell = BaseModel
    Distribution = BaseModel
    Plan = BaseModel
    WorkOrder = BaseModel
    MaintenancePlan = BaseModel
    Record = BaseModel
else:
    ElevatorScore = projection(
        model.ElevatorScore,
        "ElevatorScore",
        types={"grade": Grade, "reasons": list[Reason]},
        descriptions={
            "total": "0..100; high is low risk",
            "baseline": "total of the city-average elevator",
            "factors": "factor scores 0..100",
            "contributions": "points each factor adds to the baseline;"
            " they sum to total - baseline",
        },
        module=__name__,
    )
    ScoreRow = projection(model.ScoreSummary, "ScoreRow", types={"grade": Grade}, module=__name__)
    DistributionCell = projection(
        model.DistributionCell, "DistributionCell", types={"grade": Grade}, module=__name__
    )
    Distribution = projection(
        model.Distribution,
        "Distribution",
        types={"cells": list[DistributionCell]},
        module=__name__,
    )
    Plan = projection(
        model.Plan,
        "Plan",
        without=("updated_at",),
        types={"reasons": list[Reason]},
        module=__name__,
    )
    WorkOrder = projection(model.WorkOrder, "WorkOrder", module=__name__)
    MaintenancePlan = projection(
        model.MaintenancePlan,
        "MaintenancePlan",
        types={"plans": list[Plan], "work_orders": list[WorkOrder]},
        module=__name__,
    )
    Record = projection(model.Record, "Record", module=__name__)


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


@router.get("/elevators/{elevator_id}/score", response_model=ElevatorScore, responses=NOT_FOUND)
async def elevator_score(elevator_id: Id, db: Db, principal: Reader) -> ElevatorScore:
    """The elevator's 3+2 score, grade, factor scores, additive explanation and interval."""
    score = await service.elevator_score(db, elevator_id, company_scope(principal))
    return ElevatorScore.model_validate(score)


@router.get("/companies/{company_id}/scores", response_model=Page[ScoreRow], responses=NOT_FOUND)
async def company_scores(
    company_id: Id,
    db: Db,
    principal: Reader,
    paging: Paging,
    grade: Annotated[Grade | None, Query(description="only this grade")] = None,
) -> Page[ScoreRow]:
    """A company's fleet, riskiest (lowest total) first."""
    total, rows = await service.company_scores(
        db, company_id, company_scope(principal), grade, paging.limit + 1, paging.offset
    )
    return make_page([ScoreRow.model_validate(r) for r in rows], paging, total)


@router.get("/scores/distribution", response_model=Distribution)
async def distribution(db: Db, principal: Reader) -> Distribution:
    """Elevators by grade and by district (a company user: its own fleet)."""
    return Distribution.model_validate(await service.distribution(db, company_scope(principal)))


@router.get(
    "/elevators/{elevator_id}/maintenance", response_model=MaintenancePlan, responses=NOT_FOUND
)
async def maintenance_plan(
    elevator_id: Id,
    db: Db,
    principal: Reader,
    work_orders: Annotated[int, Query(ge=0, le=200, description="recent work orders")] = 20,
) -> MaintenancePlan:
    """Next due date per item level, with reasons, and the recent work orders."""
    plan = await service.maintenance_plan(db, elevator_id, company_scope(principal), work_orders)
    return MaintenancePlan.model_validate(plan)


@router.post(
    "/work-orders/{work_order_id}/complete",
    response_model=Record,
    status_code=status.HTTP_201_CREATED,
    responses=NOT_FOUND_OR_CONFLICT,
)
async def complete(
    request: Request, work_order_id: BigId, body: Completion, db: Db, principal: Maintainer
) -> Record:
    """Complete a work order with its paperless maintenance record (the company's own);
    422 for a back-dated record (started before the work order was issued, or ended more
    than ``record_grace_h`` hours ago)."""
    completion = model.Completion(
        technician=body.technician,
        started_at=body.started_at,
        ended_at=body.ended_at,
        items=body.items,
        findings=body.findings,
    )
    grace = timedelta(hours=request.app.state.config.score.record_grace_h)
    record = await service.complete_work_order(
        db, work_order_id, completion, company_scope(principal), grace=grace
    )
    return Record.model_validate(record)
