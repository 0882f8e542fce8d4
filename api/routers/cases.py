"""96333 rescue cases: the desk opens them from calls and closes them; rescuers (or their
company on their behalf) accept, decline, report positions, arrive and release.

A company sees only cases of its own elevators, a rescuer only cases he was offered;
anything else answers 404. State changes go through the dispatch engine (in a worker
thread with its own connection), so the API obeys the same rules as the service.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, TypeVar

import psycopg
from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, status
from pydantic import BaseModel, Field

from api.deps import CurrentPrincipal, Db, company_scope, require_roles
from api.pagination import Page, Paging, make_page
from api.security import Principal, Role
from rescue import errors
from rescue.engine import DispatchEngine, HotlineCall
from rescue.lifecycle import CaseState
from rescue.notifications import Notifier

router = APIRouter(prefix="/api/v1", tags=["rescue"])

T = TypeVar("T")
CaseId = Annotated[int, Path(ge=1, le=9_223_372_036_854_775_807)]
Desk = Annotated[Principal, Depends(require_roles(Role.DESK))]
Reader = Annotated[
    Principal, Depends(require_roles(Role.SUPERVISOR, Role.DESK, Role.COMPANY, Role.RESCUER))
]

_STATUS: list[tuple[type[errors.RescueError], int]] = [
    (errors.NotFound, status.HTTP_404_NOT_FOUND),
    (errors.InvalidCall, status.HTTP_422_UNPROCESSABLE_CONTENT),
    (errors.NotAssigned, status.HTTP_403_FORBIDDEN),
    (errors.InvalidTransition, status.HTTP_409_CONFLICT),
    (errors.OfferClosed, status.HTTP_409_CONFLICT),
    (errors.RescuerBusy, status.HTTP_409_CONFLICT),
]


async def run_engine(request: Request, action: Callable[[DispatchEngine], T]) -> T:
    """Run one engine operation on its own connection in a worker thread."""
    config = request.app.state.config

    def work() -> T:
        with psycopg.connect(config.database_url, autocommit=True) as conn:
            notifier = Notifier(request.app.state.publisher, config.dispatch.notify_topic_root)
            return action(DispatchEngine(conn, config.dispatch, notifier=notifier))

    try:
        return await asyncio.to_thread(work)
    except errors.RescueError as exc:
        code = next((c for t, c in _STATUS if isinstance(exc, t)), status.HTTP_400_BAD_REQUEST)
        raise HTTPException(code, str(exc)) from None


class CallIn(BaseModel):
    elevator_code: str | None = Field(None, min_length=1, max_length=64)
    address: str | None = Field(None, min_length=3, max_length=200)
    caller_phone: str = Field("", max_length=32, pattern=r"^[0-9+\- ]*$")
    people_trapped: int = Field(1, ge=0, le=50)
    note: str = Field("", max_length=2000)


class CaseOpened(BaseModel):
    id: int
    created: bool


class Case(BaseModel):
    id: int
    elevator_id: int
    elevator_code: str
    district: str
    company_id: int
    source: str
    state: str
    tier: int
    rescuer_id: int | None
    people_trapped: int
    trapped_since: datetime
    reported_at: datetime
    decided_at: datetime | None
    accepted_at: datetime | None
    arrived_at: datetime | None
    released_at: datetime | None
    closed_at: datetime | None
    arrival_due_at: datetime | None
    insurance_flag: bool
    fire_service: bool


class TimelineEntry(BaseModel):
    at: datetime
    step: str
    actor: str
    detail: dict[str, Any]


class Offer(BaseModel):
    id: int
    case_id: int
    rescuer_id: int
    tier: int
    eta_s: float
    distance_m: float
    offered_at: datetime
    expires_at: datetime
    state: str
    answered_at: datetime | None


class CaseDetail(Case):
    timeline: list[TimelineEntry]
    offers: list[Offer]


class Reason(BaseModel):
    reason: str = Field("", max_length=2000)


class OnBehalf(BaseModel):
    rescuer_id: int | None = Field(None, ge=1, le=2_147_483_647)
    reason: str = Field("", max_length=500)


class Release(OnBehalf):
    people_released: int | None = Field(None, ge=0, le=50)


class Position(BaseModel):
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)


_CASE_COLS = """c.id, c.elevator_id, e.code, e.district, e.company_id, c.source, c.state, c.tier,
    c.rescuer_id, c.people_trapped, c.trapped_since, c.reported_at, c.decided_at,
    c.accepted_at, c.arrived_at, c.released_at, c.closed_at, c.arrival_due_at,
    c.insurance_flag, c.fire_service"""
_CASE_FIELDS = list(Case.model_fields)
_VISIBLE = """(%(company)s::integer IS NULL OR e.company_id = %(company)s)
    AND (%(rescuer)s::integer IS NULL OR c.rescuer_id = %(rescuer)s OR EXISTS (
         SELECT 1 FROM dispatch_offers o WHERE o.case_id = c.id AND o.rescuer_id = %(rescuer)s))"""


def _scope(p: Principal) -> dict[str, int | None]:
    rescuer = p.rescuer_id if p.role is Role.RESCUER else None
    if p.role is Role.RESCUER and rescuer is None:
        rescuer = -1
    return {"company": company_scope(p), "rescuer": rescuer}


async def _visible_case(db: Db, p: Principal, case_id: int) -> Case:
    cur = await db.execute(
        f"""SELECT {_CASE_COLS} FROM rescue_cases c JOIN elevators e ON e.id = c.elevator_id
            WHERE c.id = %(id)s AND {_VISIBLE}""",  # noqa: S608 - fixed text
        {"id": case_id, **_scope(p)},
    )
    row = await cur.fetchone()
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"rescue case {case_id} not found")
    return Case(**dict(zip(_CASE_FIELDS, row, strict=True)))


@router.post("/cases", response_model=CaseOpened, status_code=status.HTTP_201_CREATED)
async def open_case(request: Request, call: CallIn, principal: Desk) -> CaseOpened:
    """A hotline call: opens a case, or joins the elevator's open one (created=false)."""
    if not (call.elevator_code or call.address):
        raise HTTPException(422, "name the elevator by elevator_code or address")
    hotline = HotlineCall(
        call.elevator_code, call.address, call.caller_phone, call.people_trapped, call.note
    )
    ref = await run_engine(
        request, lambda e: e.open_case_from_call(hotline, f"desk:{principal.subject}")
    )
    return CaseOpened(id=ref.case_id, created=ref.created)


@router.get("/cases", response_model=Page[Case])
async def list_cases(
    db: Db,
    principal: Reader,
    paging: Paging,
    state: Annotated[list[CaseState] | None, Query(description="states (repeat)")] = None,
    active: Annotated[bool | None, Query(description="only active cases")] = None,
    district: Annotated[str | None, Query(max_length=64)] = None,
    company: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    elevator_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    since: Annotated[datetime | None, Query(description="reported at or after")] = None,
    until: Annotated[datetime | None, Query(description="reported before")] = None,
) -> Page[Case]:
    scope = _scope(principal)
    if scope["company"] is not None and company not in (None, scope["company"]):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "a company sees only its own cases")
    states = [s.value for s in state] if state else None
    if active:
        states = [s for s in (states or ["reported", "offered", "accepted", "en_route",
                                         "on_site"]) if s in ("reported", "offered", "accepted",
                                                              "en_route", "on_site")]  # fmt: skip
    cur = await db.execute(
        f"""SELECT {_CASE_COLS} FROM rescue_cases c JOIN elevators e ON e.id = c.elevator_id
            WHERE {_VISIBLE}
              AND (%(states)s::text[] IS NULL OR c.state = ANY(%(states)s))
              AND (%(district)s::text IS NULL OR e.district = %(district)s)
              AND (%(filter_company)s::integer IS NULL OR e.company_id = %(filter_company)s)
              AND (%(elevator)s::integer IS NULL OR c.elevator_id = %(elevator)s)
              AND (%(since)s::timestamptz IS NULL OR c.reported_at >= %(since)s)
              AND (%(until)s::timestamptz IS NULL OR c.reported_at < %(until)s)
            ORDER BY c.reported_at DESC, c.id DESC
            LIMIT %(limit)s OFFSET %(offset)s""",  # noqa: S608 - fixed text
        {
            **scope,
            "states": states,
            "district": district,
            "filter_company": company,
            "elevator": elevator_id,
            "since": since,
            "until": until,
            "limit": paging.limit + 1,
            "offset": paging.offset,
        },
    )
    rows = await cur.fetchall()
    return make_page([Case(**dict(zip(_CASE_FIELDS, r, strict=True))) for r in rows], paging)


@router.get("/cases/{case_id}", response_model=CaseDetail)
async def case_detail(db: Db, principal: Reader, case_id: CaseId) -> CaseDetail:
    case = await _visible_case(db, principal, case_id)
    cur = await db.execute(
        "SELECT at, step, actor, detail FROM case_events WHERE case_id = %s ORDER BY at, id",
        (case_id,),
    )
    timeline = [TimelineEntry(at=r[0], step=r[1], actor=r[2], detail=r[3]) for r in
                await cur.fetchall()]  # fmt: skip
    cur = await db.execute(
        """SELECT id, case_id, rescuer_id, tier, eta_s, distance_m, offered_at, expires_at,
                  state, answered_at FROM dispatch_offers WHERE case_id = %s
           AND (%s::integer IS NULL OR rescuer_id = %s) ORDER BY offered_at, id""",
        (case_id, _scope(principal)["rescuer"], _scope(principal)["rescuer"]),
    )
    offers = [Offer(**dict(zip(Offer.model_fields, r, strict=True))) for r in await cur.fetchall()]
    return CaseDetail(**case.model_dump(), timeline=timeline, offers=offers)


@router.post("/cases/{case_id}/{action}", response_model=Case)
async def case_action(
    request: Request,
    db: Db,
    principal: CurrentPrincipal,
    case_id: CaseId,
    action: Annotated[
        str, Path(pattern="^(cancel|false-alarm|close|accept|decline|depart|arrive|release)$")
    ],
    body: Release | None = None,
) -> Case:
    """Desk: cancel, false-alarm, close; rescuer (or his company, naming ``rescuer_id``):
    accept, decline, depart, arrive, release (and close once released)."""
    body = body or Release()
    case = await _visible_case(db, principal, case_id)
    actor = f"{principal.role.value}:{principal.subject}"
    if action in ("cancel", "false-alarm", "close"):
        if principal.role not in (Role.ADMIN, Role.DESK):
            if action == "cancel":
                raise HTTPException(status.HTTP_403_FORBIDDEN, "only the desk cancels a case")
            if not _holds(principal, case):
                raise HTTPException(status.HTTP_403_FORBIDDEN, "not your case")
        finish: dict[str, Callable[[DispatchEngine], Any]] = {
            "cancel": lambda e: e.cancel(case_id, actor, body.reason),
            "false-alarm": lambda e: e.false_alarm(case_id, actor, body.reason),
            "close": lambda e: e.close(case_id, actor),
        }
        await run_engine(request, finish[action])
        return await _visible_case(db, principal, case_id)
    rescuer_id = _acting_rescuer(principal, body.rescuer_id, case)
    if rescuer_id is not None and principal.role is Role.COMPANY:
        cur = await db.execute("SELECT company_id FROM rescuers WHERE id = %s", (rescuer_id,))
        row = await cur.fetchone()
        if row is None or row[0] != principal.company_id:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"rescuer {rescuer_id} not found")
    steps: dict[str, Callable[[DispatchEngine], Any]] = {
        "accept": lambda e: e.accept(case_id, _need(rescuer_id), actor),
        "decline": lambda e: e.decline(case_id, _need(rescuer_id), actor, body.reason),
        "depart": lambda e: e.depart(case_id, rescuer_id, actor),
        "arrive": lambda e: e.arrive(case_id, rescuer_id, actor),
        "release": lambda e: e.release(case_id, rescuer_id, actor, body.people_released),
    }
    await run_engine(request, steps[action])
    return await _visible_case(db, principal, case_id)


def _holds(p: Principal, case: Case) -> bool:
    """Whether the caller works the case: its rescuer, or the elevator's company."""
    if p.role is Role.RESCUER:
        return case.rescuer_id is not None and case.rescuer_id == p.rescuer_id
    return p.role is Role.COMPANY and p.company_id == case.company_id


def _need(rescuer_id: int | None) -> int:
    if rescuer_id is None:
        raise errors.InvalidCall("name the rescuer (rescuer_id)")
    return rescuer_id


def _acting_rescuer(p: Principal, named: int | None, case: Case) -> int | None:
    """Who acts: a rescuer for himself; a company for a rescuer of its own; the desk for
    the case's rescuer or, on a 119 hand-off, for nobody."""
    if p.role is Role.RESCUER:
        if named not in (None, p.rescuer_id):
            raise HTTPException(status.HTTP_403_FORBIDDEN, "a rescuer acts only for himself")
        return p.rescuer_id
    if p.role is Role.COMPANY:
        return named if named is not None else case.rescuer_id
    if p.role in (Role.ADMIN, Role.DESK):
        return named if named is not None else case.rescuer_id
    raise HTTPException(status.HTTP_403_FORBIDDEN, f"role {p.role} may not act on cases")


@router.post("/rescuers/me/position", status_code=status.HTTP_204_NO_CONTENT)
async def report_position(
    request: Request,
    position: Position,
    principal: Annotated[Principal, Depends(require_roles(Role.RESCUER))],
) -> None:
    if principal.rescuer_id is None:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "this account is not a rescuer")
    rid = principal.rescuer_id
    await run_engine(request, lambda e: e.report_position(rid, position.lon, position.lat))


@router.get("/rescuers/me/offers", response_model=list[Offer])
async def my_offers(
    db: Db, principal: Annotated[Principal, Depends(require_roles(Role.RESCUER))]
) -> list[Offer]:
    cur = await db.execute(
        """SELECT id, case_id, rescuer_id, tier, eta_s, distance_m, offered_at, expires_at,
                  state, answered_at FROM dispatch_offers
           WHERE rescuer_id = %s AND state = 'pending' ORDER BY offered_at""",
        (principal.rescuer_id,),
    )
    return [Offer(**dict(zip(Offer.model_fields, r, strict=True))) for r in await cur.fetchall()]


class WebhookIn(BaseModel):
    url: str = Field(min_length=10, max_length=500, pattern=r"^https?://[^\s]+$")
    secret: str = Field(min_length=16, max_length=200)
    company_id: int | None = Field(None, ge=1, le=2_147_483_647)  # admin only


class Webhook(BaseModel):
    id: int
    company_id: int
    url: str
    active: bool
    created_at: datetime


CompanyOrAdmin = Annotated[Principal, Depends(require_roles(Role.COMPANY))]


def _webhook_company(p: Principal, named: int | None) -> int:
    if p.role is Role.COMPANY:
        if p.company_id is None or named not in (None, p.company_id):
            raise HTTPException(status.HTTP_403_FORBIDDEN, "a company manages only its own")
        return p.company_id
    if named is None:
        raise HTTPException(422, "name the company (company_id)")
    return named


@router.get("/webhooks", response_model=list[Webhook])
async def list_webhooks(db: Db, principal: CompanyOrAdmin) -> list[Webhook]:
    cur = await db.execute(
        """SELECT id, company_id, url, active, created_at FROM webhook_subscriptions
           WHERE %(c)s::integer IS NULL OR company_id = %(c)s ORDER BY id""",
        {"c": company_scope(principal)},
    )
    return [
        Webhook(**dict(zip(Webhook.model_fields, r, strict=True))) for r in await cur.fetchall()
    ]


@router.post("/webhooks", response_model=Webhook, status_code=status.HTTP_201_CREATED)
async def add_webhook(db: Db, principal: CompanyOrAdmin, hook: WebhookIn) -> Webhook:
    """Subscribe a URL to the company's case events (signed with ``secret``)."""
    company = _webhook_company(principal, hook.company_id)
    try:
        cur = await db.execute(
            """INSERT INTO webhook_subscriptions (company_id, url, secret) VALUES (%s, %s, %s)
               RETURNING id, company_id, url, active, created_at""",
            (company, hook.url, hook.secret),
        )
    except psycopg.errors.UniqueViolation:
        raise HTTPException(status.HTTP_409_CONFLICT, "this URL is already subscribed") from None
    except psycopg.errors.ForeignKeyViolation:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"company {company} not found") from None
    row = await cur.fetchone()
    assert row is not None
    return Webhook(**dict(zip(Webhook.model_fields, row, strict=True)))


@router.delete("/webhooks/{webhook_id}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_webhook(
    db: Db, principal: CompanyOrAdmin, webhook_id: Annotated[int, Path(ge=1, le=2**62)]
) -> None:
    cur = await db.execute(
        """DELETE FROM webhook_subscriptions
           WHERE id = %(id)s AND (%(c)s::integer IS NULL OR company_id = %(c)s)""",
        {"id": webhook_id, "c": company_scope(principal)},
    )
    if cur.rowcount == 0:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"webhook {webhook_id} not found")
