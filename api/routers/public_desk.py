"""一梯一码, the logged-in side: tickets from passengers (the company answers, the
supervisor and desk watch), the desk's view of report sources (dismiss, block), counts
for the indicators, the open-data disclosure list and one elevator's sticker (SVG)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from api.deps import Db, company_scope, require_roles
from api.errors import AUTHENTICATED, NOT_FOUND, NOT_FOUND_OR_CONFLICT, media_response
from api.pagination import Paging
from api.projection import projection
from api.public_guard import public_settings
from api.security import Principal, Role
from domain.localtime import city_today
from public import service
from public.model import ReportCount, SourceReport, SourceSummary, Ticket
from public.policy import export_csv, export_record
from public.printing import sticker_svg

router = APIRouter(prefix="/api/v1/public", tags=["public (desk)"], responses=AUTHENTICATED)

Watcher = Annotated[Principal, Depends(require_roles(Role.SUPERVISOR, Role.DESK, Role.COMPANY))]
Company = Annotated[Principal, Depends(require_roles(Role.COMPANY))]
Desk = Annotated[Principal, Depends(require_roles(Role.DESK))]
DeskOrSupervisor = Annotated[Principal, Depends(require_roles(Role.DESK, Role.SUPERVISOR))]
BigId = Annotated[int, Path(ge=1, le=2**62)]
Hours = Annotated[int, Query(ge=1, le=24 * 31)]


# A ticket as the desk sees it: public.model's Ticket and whether it is overdue now.
if TYPE_CHECKING:
    TicketOut = BaseModel
else:
    TicketOut = projection(Ticket, "TicketOut", module=__name__, overdue=(bool, False))


class AnswerIn(BaseModel):
    answer: str = Field(min_length=2, max_length=2000)


class BlockIn(BaseModel):
    source: str = Field(min_length=1, max_length=64)
    reason: str = Field("", max_length=500)


def _ticket(ticket: Ticket, now: datetime) -> TicketOut:
    overdue = ticket.state == "open" and ticket.due_at < now
    return TicketOut.model_validate(ticket).model_copy(update={"overdue": overdue})


def _actor(principal: Principal) -> str:
    return f"{principal.role.value}:{principal.subject}"


@router.get("/tickets", response_model=list[TicketOut])
async def list_tickets(
    db: Db,
    principal: Watcher,
    paging: Paging,
    state: Literal["open", "answered", "dismissed"] | None = None,
) -> list[TicketOut]:
    """Passengers' faults and complaints; a company sees only its own elevators'."""
    found = await service.tickets(db, company_scope(principal), state, paging.limit, paging.offset)
    now = datetime.now(UTC)
    return [_ticket(t, now) for t in found]


@router.post(
    "/tickets/{ticket_id}/answer", response_model=TicketOut, responses=NOT_FOUND_OR_CONFLICT
)
async def answer_ticket(db: Db, principal: Company, ticket_id: BigId, body: AnswerIn) -> TicketOut:
    """The company's answer; the reporter's link shows it."""
    ticket = await service.answer_ticket(
        db, ticket_id, company_scope(principal), body.answer, _actor(principal), datetime.now(UTC)
    )
    return _ticket(ticket, datetime.now(UTC))


@router.get("/sources")
async def report_sources(
    db: Db, principal: DeskOrSupervisor, hours: Hours = 24, limit: int = Query(100, ge=1, le=1000)
) -> list[SourceSummary]:
    """Client addresses that reported in the last hours, busiest first (blocked or not)."""
    return await service.sources(db, datetime.now(UTC) - timedelta(hours=hours), limit)


@router.get("/reports")
async def recent_reports(
    db: Db,
    principal: DeskOrSupervisor,
    source: Annotated[str | None, Query(max_length=64)] = None,
    hours: Hours = 24,
    limit: int = Query(200, ge=1, le=1000),
) -> list[SourceReport]:
    since = datetime.now(UTC) - timedelta(hours=hours)
    return await service.reports_of(db, source, since, limit)


@router.post(
    "/reports/{report_id}/dismiss",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=NOT_FOUND_OR_CONFLICT,
)
async def dismiss_report(db: Db, principal: Desk, report_id: BigId) -> None:
    """A prank: the report (and its ticket, when nothing else backs it) is dismissed."""
    await service.dismiss(db, report_id, _actor(principal), datetime.now(UTC))


@router.post("/blocked", status_code=status.HTTP_204_NO_CONTENT, responses=NOT_FOUND_OR_CONFLICT)
async def block_source(db: Db, principal: Desk, body: BlockIn) -> None:
    """Refuse further reports from this address (the page then says: call 96333)."""
    await service.block(db, body.source, _actor(principal), body.reason)


@router.delete("/blocked/{source}", status_code=status.HTTP_204_NO_CONTENT, responses=NOT_FOUND)
async def unblock_source(
    db: Db, principal: Desk, source: Annotated[str, Path(max_length=64)]
) -> None:
    await service.unblock(db, source)


@router.get("/indicators")
async def report_indicators(
    db: Db, principal: DeskOrSupervisor, days: Annotated[int, Query(ge=1, le=366)] = 30
) -> list[ReportCount]:
    """Passengers' reports by district and kind over the last days."""
    return await service.counts(db, datetime.now(UTC) - timedelta(days=days))


@router.get(
    "/export",
    response_model=None,
    responses=media_response(
        "The disclosure list (JSON, or CSV with format=csv)", "application/json", "text/csv"
    ),
)
async def disclosure_export(
    db: Db,
    principal: Watcher,
    fmt: Annotated[Literal["csv", "json"], Query(alias="format")] = "json",
    district: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    """The disclosure list (信息公示) of every elevator: public fields only."""
    today = city_today()
    elevators = await service.disclosure_list(db, district, company_scope(principal), today)
    name = f"liftwatch-disclosure-{today.isoformat()}"
    if fmt == "csv":
        return Response(
            export_csv(elevators),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    body = {"date": today.isoformat(), "elevators": [export_record(e) for e in elevators]}
    return JSONResponse(body)


@router.get(
    "/elevators/{elevator_id}/sticker.svg",
    response_class=Response,
    responses={**NOT_FOUND, **media_response("The sticker (SVG)", "image/svg+xml")},
)
async def sticker(
    request: Request,
    db: Db,
    principal: Watcher,
    elevator_id: Annotated[int, Path(ge=1, le=2_147_483_647)],
) -> Response:
    """The elevator's QR sticker (SVG): QR code, registration code, 96333, company phone."""
    row = await service.sticker(db, elevator_id, company_scope(principal))
    settings = public_settings(request)
    explicit = getattr(request.app.state, "public_settings", None) is not None
    base = settings.base_url if explicit else str(request.base_url)
    return Response(sticker_svg(row, base), media_type="image/svg+xml")
