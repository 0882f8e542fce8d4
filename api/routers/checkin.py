"""维保签到 on the technician's phone (the page ``/technician``): his company's pending
work orders, the checklist, checking in (by the car's public code or a position within
the radius) and checking out (checklist ticked, presence proven again).

A technician or company account acts only on its own company's work orders (others
answer 404); only the technician who checked in may check out (403). Supervisors and the
desk may read a check-in.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, Field

from api.deps import NO_COMPANY, Db, company_scope, require_roles
from api.errors import AUTHENTICATED, problem_response
from api.projection import projection
from api.security import Principal, Role
from maintenance import checkin_service
from maintenance.checkin import Checkin, PhonePosition, Proof, ScannedCode, TechnicianWorkOrder
from maintenance.checkin_items import ChecklistItem
from maintenance.errors import CheckinRefused
from public import service as public_service
from public.errors import UnknownCode

router = APIRouter(prefix="/api/v1", tags=["maintenance"], responses=AUTHENTICATED)

Technician = Annotated[Principal, Depends(require_roles(Role.TECHNICIAN, Role.COMPANY))]
Reader = Annotated[
    Principal,
    Depends(require_roles(Role.TECHNICIAN, Role.COMPANY, Role.SUPERVISOR, Role.DESK)),
]
BigId = Annotated[int, Path(ge=1, le=9_223_372_036_854_775_807)]
Level = Literal["half_monthly", "quarterly", "half_yearly", "yearly"]
NO_NUL = r"^[^\x00]*$"  # text the database can store

_ORDER = problem_response(404, "no such work order of the caller's company")
_CHECK_IN = {
    **_ORDER,
    **problem_response(409, "checked into by another technician, or the work order is closed"),
    **problem_response(
        422,
        "presence not proven: no code and no position, a position more than"
        " the radius (200 m) away, a code of another elevator, a replaced or unknown code;"
        " or an invalid body",
    ),
}
_CHECK_OUT = {
    **_ORDER,
    **problem_response(
        403, "not a technician or company account, or not the technician who checked in"
    ),
    **problem_response(409, "not checked into yet, or the work order is closed"),
    **problem_response(
        422,
        "a mandatory checklist item is not ticked (the message lists them),"
        " an unknown item, presence not proven (as for check-in), or an invalid body",
    ),
}


class PositionIn(BaseModel):
    lon: float = Field(ge=-180, le=180, description="WGS-84 (navigator.geolocation)")
    lat: float = Field(ge=-90, le=90)
    accuracy_m: float | None = Field(None, ge=0, le=100_000)


class CheckInIn(BaseModel):
    code: str | None = Field(
        None,
        min_length=1,
        max_length=300,
        description="the public code on the car's sticker (or the URL its QR code holds)",
    )
    position: PositionIn | None = None


class CheckOutIn(CheckInIn):
    items: list[Annotated[str, Field(min_length=1, max_length=16)]] = Field(
        max_length=200, description="keys of the ticked checklist items (A1-01 ...)"
    )
    findings: str = Field("", max_length=10_000, pattern=NO_NUL)


# The cards: projections of the records in ``maintenance.checkin`` (api.projection).
if TYPE_CHECKING:
    ChecklistItemOut = BaseModel
    WorkOrderCard = BaseModel
    CheckinOut = BaseModel
else:
    ChecklistItemOut = projection(
        ChecklistItem,
        "ChecklistItemOut",
        descriptions={"name": "the standard's Chinese name"},
        module=__name__,
    )
    WorkOrderCard = projection(TechnicianWorkOrder, "WorkOrderCard", module=__name__)
    # The codes scanned stay out: the proof is the method, the distance and on_site.
    CheckinOut = projection(
        Checkin, "CheckinOut", without=("start_code", "finish_code"), module=__name__
    )


def _position(body: PositionIn | None) -> PhonePosition | None:
    return None if body is None else PhonePosition(body.lon, body.lat, body.accuracy_m)


def _bare_code(text: str) -> str:
    """The code itself from a scanned QR code's URL (``<base>/e/<code>``) or the code."""
    return text.strip().rstrip("/").rsplit("/e/", 1)[-1]


async def _proof(db: Db, body: CheckInIn) -> Proof:
    scanned = None
    if body.code is not None:
        try:
            ref = await public_service.resolve(db, _bare_code(body.code))
        except UnknownCode:
            raise CheckinRefused("unknown elevator code") from None
        scanned = ScannedCode(ref.code, ref.elevator_id, ref.current)
    return Proof(position=_position(body.position), code=scanned)


def _radius(request: Request) -> float:
    return float(request.app.state.config.score.checkin_radius_m)


def _own_company(principal: Principal) -> int:
    scope = company_scope(principal)
    return NO_COMPANY if scope is None else scope


@router.get(
    "/technicians/me/work-orders", response_model=list[WorkOrderCard], responses=AUTHENTICATED
)
async def my_work_orders(
    db: Db,
    principal: Technician,
    lon: Annotated[float | None, Query(ge=-180, le=180, description="the phone, WGS-84")] = None,
    lat: Annotated[float | None, Query(ge=-90, le=90)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[WorkOrderCard]:
    """The company's open and in-progress work orders: nearest first with ``lon``/``lat``
    (with their distance), otherwise earliest due first."""
    near = PhonePosition(lon, lat) if lon is not None and lat is not None else None
    orders = await checkin_service.work_orders(db, _own_company(principal), near, limit)
    return [WorkOrderCard.model_validate(order) for order in orders]


@router.get(
    "/maintenance/checklist", response_model=list[ChecklistItemOut], responses=AUTHENTICATED
)
async def checklist(
    principal: Reader, level: Annotated[Level, Query()] = "half_monthly"
) -> list[ChecklistItemOut]:
    """The items a visit of ``level`` ticks (TSG T5002-2017 annex A1), mandatory or where
    fitted."""
    return [ChecklistItemOut.model_validate(item) for item in checkin_service.items_of(level)]


@router.get("/work-orders/{work_order_id}/check-in", response_model=CheckinOut, responses=_ORDER)
async def get_check_in(work_order_id: BigId, db: Db, principal: Reader) -> CheckinOut:
    """The visit's proof: start and end times, positions, distances, on-site and on-time."""
    checkin = await checkin_service.get_checkin(db, work_order_id, company_scope(principal))
    return CheckinOut.model_validate(checkin)


@router.post(
    "/work-orders/{work_order_id}/check-in", response_model=CheckinOut, responses=_CHECK_IN
)
async def check_in(
    work_order_id: BigId, body: CheckInIn, db: Db, principal: Technician, request: Request
) -> CheckinOut:
    """Start the visit with the car's code (on site by the sticker) or the phone's position
    (on site within the radius; farther is refused). A repeat answers the first check-in."""
    checkin = await checkin_service.check_in(
        db,
        work_order_id,
        principal.subject,
        _own_company(principal),
        await _proof(db, body),
        _radius(request),
    )
    return CheckinOut.model_validate(checkin)


@router.post(
    "/work-orders/{work_order_id}/check-out", response_model=CheckinOut, responses=_CHECK_OUT
)
async def check_out(
    work_order_id: BigId, body: CheckOutIn, db: Db, principal: Technician, request: Request
) -> CheckinOut:
    """Finish the visit: every mandatory checklist item ticked and presence proven again;
    writes the maintenance record and closes the work order. A repeat answers the first."""
    checkin = await checkin_service.check_out(
        db,
        work_order_id,
        principal.subject,
        _own_company(principal),
        await _proof(db, body),
        body.items,
        body.findings,
        _radius(request),
    )
    return CheckinOut.model_validate(checkin)
