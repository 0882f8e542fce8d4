"""一梯一码, the passenger's side (no account): the elevator's page behind its QR code,
reports (trapped / fault / complaint) and the reporter's progress link.

Rate limited per client address and per elevator code before any database work; public
requests share a few pool connections (:mod:`api.public_guard`). An entrapment report
goes through the same intake as a 96333 call (:func:`open_rescue_case`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path as FilePath
from typing import TYPE_CHECKING, Annotated, Literal

from fastapi import APIRouter, Path, Request, status
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field

from api.deps import get_pool
from api.errors import problem_responses
from api.projection import fields_of, projection
from api.public_guard import client_address, guard_of
from api.routers.rescue_dispatch import EngineRunner
from domain.localtime import city_today
from public import service
from public.model import (
    NewReport,
    PublicElevator,
    ReportKind,
    ReportProgress,
    ReportReceipt,
    RescueView,
)
from rescue.engine import HotlineCall

router = APIRouter(tags=["public"], responses=problem_responses(400, 403, 404, 422, 429, 500, 503))

PAGE = FilePath(__file__).resolve().parent.parent / "static" / "public.html"
Code = Annotated[str, Path(min_length=8, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")]
Token = Annotated[str, Path(min_length=16, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
NO_STORE = {"Cache-Control": "no-store"}


async def open_rescue_case(request: Request, registration_code: str, phone: str, note: str) -> int:
    """The rescue engine's hotline intake, on the engine's pool: opens or joins the
    elevator's case exactly as a 96333 call does."""
    call = HotlineCall(elevator_code=registration_code, caller_phone=phone, note=note)
    run = EngineRunner(request)
    ref = await run(lambda engine: engine.open_case_from_call(call, "public:qr-page"))
    return ref.case_id


class _CodeOf(BaseModel):
    """The code the page was opened by, and whether it is still the elevator's."""

    model_config = ConfigDict(from_attributes=True)

    code: str
    code_current: bool


# The responses: projections of the records in ``public.model`` (api.projection).
# PublicElevator holds the public fields only: all of them are shown.
if TYPE_CHECKING:
    PublicPage = BaseModel
    Receipt = BaseModel
    RescueProgress = BaseModel
    Progress = BaseModel
else:
    PublicPage = projection(
        PublicElevator, "PublicPage", types={"status": str}, base=_CodeOf, module=__name__
    )
    Receipt = projection(
        ReportReceipt,
        "Receipt",
        ("kind", "token", "stale_code"),
        types={"kind": str},
        module=__name__,
        link=(str, ...),
    )
    RescueProgress = projection(RescueView, "RescueProgress", module=__name__)
    Progress = projection(
        ReportProgress,
        "Progress",
        types={
            "rescue": RescueProgress | None,
            "ticket_state": Literal["open", "answered", "dismissed"] | None,
        },
        module=__name__,
    )


class ReportIn(BaseModel):
    kind: ReportKind
    category: str = Field("", max_length=32)
    description: str = Field("", max_length=500)
    phone: str = Field("", max_length=20, pattern=r"^[0-9+\- ]*$")


@router.get("/e/{code}", include_in_schema=False)
async def elevator_page(code: Code) -> FileResponse:
    """The phone page; it loads its data from /api/public/e/{code}."""
    return FileResponse(PAGE, headers={"Cache-Control": "no-cache"})


@router.get("/r/{token}", include_in_schema=False)
async def report_page(token: Token) -> FileResponse:
    return FileResponse(PAGE, headers={"Cache-Control": "no-cache"})


@router.get("/api/public/e/{code}", response_model=PublicPage)
async def elevator_record(request: Request, code: Code) -> PublicPage:
    """The elevator's posted safety information (信息公示)."""
    guard = guard_of(request)
    guard.check_view(client_address(request))
    async with guard.gate.slot(), get_pool(request).connection() as conn:
        elevator, ref = await service.page(conn, code, city_today())
    fields = {name: getattr(elevator, name) for name in fields_of(PublicElevator)}
    return PublicPage.model_validate({"code": ref.code, "code_current": ref.current, **fields})


@router.post(
    "/api/public/e/{code}/reports", response_model=Receipt, status_code=status.HTTP_201_CREATED
)
async def report(request: Request, code: Code, body: ReportIn) -> Receipt:
    """I am trapped / a fault / a complaint. Trapped opens or joins the rescue case as a
    96333 call does; the others become a ticket the company must answer."""
    guard = guard_of(request)
    address = client_address(request)
    guard.check_report(address, code)
    new = NewReport(body.kind, body.category, body.description.strip(), body.phone, address)

    async def open_case(registration_code: str, phone: str, note: str) -> int:
        return await open_rescue_case(request, registration_code, phone, note)

    async with guard.gate.slot(), get_pool(request).connection() as conn:
        receipt = await service.submit_report(
            conn, code, new, now=datetime.now(UTC), settings=guard.settings, open_case=open_case
        )
    return Receipt(
        kind=receipt.kind.value,
        token=receipt.token,
        link=f"/r/{receipt.token}",
        stale_code=receipt.stale_code,
    )


@router.get("/api/public/reports/{token}", response_model=Progress)
async def report_progress(request: Request, token: Token) -> Progress:
    """What happened to a report: the rescue's steps, or the ticket's answer."""
    guard = guard_of(request)
    guard.check_view(client_address(request))
    async with guard.gate.slot(), get_pool(request).connection() as conn:
        found = await service.progress(conn, token)
    return Progress.model_validate(found)
