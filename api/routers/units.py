"""User units (使用单位): the unit, its safety director and officers (with certificates),
its checklists, its 日管控、周排查、月调度 records, and the completion indicator (+ CSV).
A user unit sees and records only its own; supervisors and the desk see every unit."""

from __future__ import annotations

import csv
import io
import math
from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, status
from fastapi.responses import Response
from pydantic import BaseModel, Field

from api.deps import Db, require_roles
from api.errors import AUTHENTICATED, media_response, problem_response
from api.pagination import Paging
from api.params import IsoDate
from api.projection import projection
from api.security import Principal, Role
from domain.localtime import city_today
from units import service
from units.errors import UnknownUnit
from units.model import CheckKind, Checklist, CheckRecord, Completion, NewCheck, Staff, Unit

router = APIRouter(prefix="/api/v1/units", tags=["user units"], responses=AUTHENTICATED)

Reader = Annotated[Principal, Depends(require_roles(Role.SUPERVISOR, Role.DESK, Role.USER_UNIT))]
Recorder = Annotated[Principal, Depends(require_roles(Role.SUPERVISOR, Role.USER_UNIT))]
UnitOnly = Annotated[Principal, Depends(require_roles(Role.USER_UNIT))]
UnitId = Annotated[int, Path(ge=1, le=2_147_483_647)]
ERRORS = {
    **problem_response(400, "a value the database refuses (e.g. a NUL character in text)"),
    **problem_response(403, "the role may not use this endpoint"),
    **problem_response(404, "no such unit within the caller's scope"),
}
WRITE_ERRORS = {
    **ERRORS,
    **problem_response(409, "this period's record exists already"),
    **problem_response(422, "the record does not fit its checklist"),
}


def _own(principal: Principal, unit_id: int) -> int:
    """The unit, if the caller may see it (a user unit only itself)."""
    if principal.role is Role.USER_UNIT and principal.user_unit_id != unit_id:
        raise UnknownUnit(unit_id)
    return unit_id


# The responses: projections of the records in ``units.model`` (api.projection); the
# unit's own id is in the path, the checklist's id is internal.
_RATES = ("daily", "weekly", "monthly", "overall")
if TYPE_CHECKING:
    UnitOut = BaseModel
    StaffOut = BaseModel
    ChecklistOut = BaseModel
    CheckOut = BaseModel
    CompletionOut = BaseModel
else:
    UnitOut = projection(Unit, "UnitOut", module=__name__)
    StaffOut = projection(
        Staff,
        "StaffOut",
        without=("user_unit_id",),
        module=__name__,
        certificate_valid=(bool, False),
    )
    ChecklistOut = projection(Checklist, "ChecklistOut", without=("user_unit_id",), module=__name__)
    CheckOut = projection(
        CheckRecord, "CheckOut", without=("user_unit_id", "checklist_id"), module=__name__
    )
    # A rate is null where the record's is NaN (no records kept here).
    CompletionOut = projection(
        Completion, "CompletionOut", types=dict.fromkeys(_RATES, float | None), module=__name__
    )


class StaffIn(BaseModel):
    duty: Literal["director", "officer"]
    name: str = Field(min_length=1, max_length=100)
    phone: str = Field("", max_length=32)
    certificate_no: str = Field("", max_length=64)
    certificate_valid_until: IsoDate | None = None


class CheckIn(BaseModel):
    kind: Literal["daily", "weekly", "monthly"]
    day: date
    results: dict[Annotated[str, Field(max_length=32)], bool] = Field(max_length=50)
    elevator_id: int | None = Field(None, ge=1, le=2_147_483_647)
    building: str | None = Field(None, min_length=1, max_length=200)
    minutes: str = Field("", max_length=10000)


def _num(x: float) -> float | None:
    return None if math.isnan(x) else round(x, 4)


Days = Annotated[int, Query(ge=7, le=366)]


async def _completions(db: Any, principal: Principal, days: int) -> list[CompletionOut]:
    only = principal.user_unit_id if principal.role is Role.USER_UNIT else None
    if principal.role is Role.USER_UNIT and only is None:
        return []
    found = await service.completions(db, only, city_today(), days)
    return [
        CompletionOut.model_validate(
            {**asdict(c), **{rate: _num(getattr(c, rate)) for rate in _RATES}}
        )
        for c in found
    ]


@router.get("/completion", response_model=list[CompletionOut], responses=ERRORS)
async def completion(db: Db, principal: Reader, days: Days = 84) -> list[CompletionOut]:
    """Each unit's share of the expected daily checks, weekly investigations and monthly
    meetings recorded in the last ``days``; ``overall`` feeds the 3+2 user-unit factor
    (null: the unit keeps no records here)."""
    return await _completions(db, principal, days)


@router.get(
    "/completion.csv",
    response_class=Response,
    responses={**ERRORS, **media_response("CSV", "text/csv")},
)
async def completion_csv(db: Db, principal: Reader, days: Days = 84) -> Response:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["使用单位 user_unit_id", "日管控 daily", "周排查 weekly", "月调度 monthly",
                "综合 overall", "人员持证 staffed"])  # fmt: skip
    for c in await _completions(db, principal, days):
        row = c.model_dump()
        w.writerow([row[name] for name in ("user_unit_id", *_RATES, "staffed")])
    return Response(
        "\ufeff" + out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="liftwatch-unit-checks.csv"'},
    )


@router.get("", response_model=list[UnitOut], responses=ERRORS)
async def list_units(db: Db, principal: Reader, paging: Paging) -> list[UnitOut]:
    """The user units (a user unit: itself)."""
    only = principal.user_unit_id if principal.role is Role.USER_UNIT else None
    if principal.role is Role.USER_UNIT and only is None:
        return []
    found = await service.units(db, only, paging.limit, paging.offset)
    return [UnitOut.model_validate(u) for u in found]


@router.get("/{unit_id}", response_model=UnitOut, responses=ERRORS)
async def get_unit(db: Db, principal: Reader, unit_id: UnitId) -> UnitOut:
    return UnitOut.model_validate(await service.unit(db, _own(principal, unit_id)))


@router.get("/{unit_id}/staff", response_model=list[StaffOut], responses=ERRORS)
async def list_staff(db: Db, principal: Reader, unit_id: UnitId) -> list[StaffOut]:
    """The safety director and officers, with whether each certificate is valid today."""
    today = city_today()
    out = []
    for s in await service.staff(db, _own(principal, unit_id)):
        valid = bool(s.certificate_valid_until and s.certificate_valid_until >= today)
        out.append(StaffOut.model_validate(s).model_copy(update={"certificate_valid": valid}))
    return out


@router.post(
    "/{unit_id}/staff", response_model=StaffOut, status_code=status.HTTP_201_CREATED,
    responses={**ERRORS, **problem_response(422, "invalid input")},
)  # fmt: skip
async def add_staff(db: Db, principal: Recorder, unit_id: UnitId, body: StaffIn) -> StaffOut:
    staff = await service.add_staff(db, _own(principal, unit_id), body.model_dump())
    return StaffOut.model_validate(staff)


@router.get("/{unit_id}/checklists", response_model=list[ChecklistOut], responses=ERRORS)
async def checklists(db: Db, principal: Reader, unit_id: UnitId) -> list[ChecklistOut]:
    """The checklists in force for the unit (its own, else the city's default)."""
    return [
        ChecklistOut.model_validate(c)
        for c in await service.checklists(db, _own(principal, unit_id))
    ]


@router.post(
    "/{unit_id}/checks", response_model=CheckOut, status_code=status.HTTP_201_CREATED,
    responses=WRITE_ERRORS,
)  # fmt: skip
async def record_check(db: Db, principal: UnitOnly, unit_id: UnitId, body: CheckIn) -> CheckOut:
    """The unit records a daily check (per elevator or building), a weekly investigation
    or a monthly meeting (with its minutes)."""
    new = NewCheck(
        kind=CheckKind(body.kind), day=body.day, results=body.results,
        elevator_id=body.elevator_id, building=body.building, minutes=body.minutes,
    )  # fmt: skip
    actor = f"user_unit:{principal.subject}"
    record = await service.record_check(db, _own(principal, unit_id), new, actor, datetime.now(UTC))
    return CheckOut.model_validate(record)


@router.get("/{unit_id}/checks", response_model=list[CheckOut], responses=ERRORS)
async def list_checks(
    db: Db,
    principal: Reader,
    unit_id: UnitId,
    paging: Paging,
    kind: Literal["daily", "weekly", "monthly"] | None = None,
    days: Days = 31,
) -> list[CheckOut]:
    since = city_today() - timedelta(days=days)
    found = await service.checks(
        db, _own(principal, unit_id), since, kind, paging.limit, paging.offset
    )
    return [CheckOut.model_validate(c) for c in found]
