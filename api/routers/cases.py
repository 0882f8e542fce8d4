"""96333 rescue cases: the desk opens them from calls and closes them; rescuers (or their
company on their behalf) accept, decline, depart, arrive and release.

Only the desk (and admin) ends a case as a false alarm or cancels it; the case's company
or rescuer may *ask* for it (``request-false-alarm``, ``request-cancel``: recorded on the
case and its timeline, shown on the board), which the desk grants (``confirm-request``)
or turns down (``reject-request``).

A company sees only cases of its own elevators, a rescuer only cases he was offered
(and only his own offers; the caller's details only while involved); anything else
answers 404. State changes go through the dispatch engine
(``rescue_dispatch.EngineRunner``), so the API obeys the same rules as the service.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, status
from pydantic import BaseModel, Field

from api.deps import CurrentPrincipal, Db, require_roles
from api.errors import AUTHENTICATED, NOT_FOUND, NOT_FOUND_OR_CONFLICT
from api.pagination import Page, Paging, make_page
from api.params import IsoDateTime
from api.routers.rescue_dispatch import RunEngine, case_scope, dispatch_lifespan
from api.routers.rescue_models import CallIn, Case, CaseDetail, CaseOpened, Release
from api.security import Principal, Role
from rescue import queries
from rescue.engine import DispatchEngine
from rescue.errors import InvalidCall
from rescue.lifecycle import CaseState
from rescue.model import CaseFilter, HotlineCall, RescueCase

router = APIRouter(
    prefix="/api/v1", tags=["rescue"], lifespan=dispatch_lifespan, responses=AUTHENTICATED
)

CaseId = Annotated[int, Path(ge=1, le=9_223_372_036_854_775_807)]
Desk = Annotated[Principal, Depends(require_roles(Role.DESK))]
Reader = Annotated[
    Principal, Depends(require_roles(Role.SUPERVISOR, Role.DESK, Role.COMPANY, Role.RESCUER))
]
Action = Annotated[
    str,
    Path(
        pattern="^(cancel|false-alarm|close|confirm-request|reject-request|request-false-alarm"
        "|request-cancel|accept|decline|depart|arrive|release)$"
    ),
]
EngineStep = Callable[[DispatchEngine], Any]
DESK_ONLY = ("cancel", "false-alarm", "confirm-request", "reject-request")
FINISHING = ("close", *DESK_ONLY)
REQUESTS = {"request-false-alarm": CaseState.FALSE_ALARM, "request-cancel": CaseState.CANCELLED}

# User-facing messages of this module: keys of the server catalogues (i18n/messages),
# answered in the caller's language by api/errors.py.
MESSAGES = {
    "desk_only": "errors.cases.desk_only",
    "not_yours": "errors.cases.not_yours",
    "own_rescuer": "errors.cases.own_rescuer",
    "name_elevator": "errors.cases.name_elevator",
    "company_own": "errors.cases.company_own",
    "role_may_not": "errors.cases.role_may_not",
}


@router.post(
    "/cases",
    response_model=CaseOpened,
    status_code=status.HTTP_201_CREATED,
    responses=NOT_FOUND_OR_CONFLICT,
)
async def open_case(run_engine: RunEngine, call: CallIn, principal: Desk) -> CaseOpened:
    """A hotline call: opens a case, or joins the elevator's open one (created=false)."""
    if not (call.elevator_code or call.address):
        raise HTTPException(422, MESSAGES["name_elevator"])
    hotline = HotlineCall(
        call.elevator_code, call.address, call.caller_phone, call.people_trapped, call.note
    )
    ref = await run_engine(
        lambda engine: engine.open_case_from_call(hotline, f"desk:{principal.subject}")
    )
    return CaseOpened(id=ref.case_id, created=ref.created)


class ConfirmIn(BaseModel):
    alarm_id: int = Field(ge=1, le=2**53 - 1)  # exact as a JSON number (a double)


@router.post(
    "/cases/confirm",
    response_model=CaseOpened,
    status_code=status.HTTP_201_CREATED,
    responses=NOT_FOUND_OR_CONFLICT,  # 422: not an alarm the desk can confirm into a case
)
async def confirm_alarm(run_engine: RunEngine, body: ConfirmIn, principal: Desk) -> CaseOpened:
    """The desk confirms a possible entrapment (疑似困人), or an entrapment / alarm-button
    alarm, into a rescue case: opens one (dispatched at once) or joins the elevator's
    open case (created=false); idempotent per alarm."""
    ref = await run_engine(
        lambda engine: engine.confirm_alarm(body.alarm_id, f"desk:{principal.subject}")
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
    since: Annotated[IsoDateTime | None, Query(description="reported at or after")] = None,
    until: Annotated[IsoDateTime | None, Query(description="reported before")] = None,
) -> Page[Case]:
    scope = case_scope(principal)
    if scope.company_id is not None and company not in (None, scope.company_id):
        raise HTTPException(status.HTTP_403_FORBIDDEN, MESSAGES["company_own"])
    where = CaseFilter(
        states=[wanted.value for wanted in state] if state else None,
        district=district,
        company_id=company,
        elevator_id=elevator_id,
        since=since,
        until=until,
    )
    cases = await queries.list_cases(
        db, scope, where, active=bool(active), limit=paging.limit + 1, offset=paging.offset
    )
    return make_page([Case.model_validate(case) for case in cases], paging)


@router.get("/cases/{case_id:int}", response_model=CaseDetail, responses=NOT_FOUND)
async def case_detail(db: Db, principal: Reader, case_id: CaseId) -> CaseDetail:
    """The case with its timeline and offers; the caller's phone (``caller_phone``) only
    for readers involved in the case (empty for a rescuer no longer involved)."""
    detail = await queries.case_detail(db, case_scope(principal), case_id)
    fields = Case.model_validate(detail.case).model_dump()
    return CaseDetail.model_validate(
        {
            **fields,
            "caller_phone": detail.case.caller_phone,
            "timeline": detail.timeline,
            "offers": detail.offers,
        }
    )


@router.post("/cases/{case_id:int}/{action}", response_model=Case, responses=NOT_FOUND_OR_CONFLICT)
async def case_action(
    run_engine: RunEngine,
    db: Db,
    principal: CurrentPrincipal,
    case_id: CaseId,
    action: Action,
    body: Release | None = None,
) -> Case:
    """Desk: cancel, false-alarm, close, confirm-request, reject-request; the case's
    rescuer or company: request-false-alarm, request-cancel; rescuer (or his company,
    naming ``rescuer_id``): accept, decline, depart, arrive, release (and close once
    released)."""
    body = body or Release()
    scope = case_scope(principal)
    case = await queries.visible_case(db, scope, case_id)
    actor = f"{principal.role.value}:{principal.subject}"
    if action in FINISHING:
        _check_may_finish(principal, case, action)
        await run_engine(_finishing_step(action, case_id, actor, body))
    elif action in REQUESTS:
        if not (_holds(principal, case) or principal.role in (Role.ADMIN, Role.DESK)):
            raise HTTPException(status.HTTP_403_FORBIDDEN, MESSAGES["not_yours"])
        wanted = REQUESTS[action]
        await run_engine(lambda engine: engine.request_end(case_id, wanted, actor, body.reason))
    else:
        rescuer_id = _acting_rescuer(principal, body.rescuer_id, case)
        if rescuer_id is not None and principal.role is Role.COMPANY:
            await queries.check_rescuer_of_company(db, rescuer_id, principal.company_id)
        await run_engine(_rescuer_step(action, case_id, rescuer_id, actor, body))
    return Case.model_validate(await queries.visible_case(db, scope, case_id))


def _check_may_finish(principal: Principal, case: RescueCase, action: str) -> None:
    """The desk ends any case; the case's rescuer or company may close it once released,
    never call it a false alarm or cancel it (they request that instead)."""
    if principal.role in (Role.ADMIN, Role.DESK):
        return
    if action in DESK_ONLY:
        raise HTTPException(status.HTTP_403_FORBIDDEN, MESSAGES["desk_only"])
    if not _holds(principal, case):
        raise HTTPException(status.HTTP_403_FORBIDDEN, MESSAGES["not_yours"])


def _finishing_step(action: str, case_id: int, actor: str, body: Release) -> EngineStep:
    steps: dict[str, EngineStep] = {
        "cancel": lambda engine: engine.cancel(case_id, actor, body.reason),
        "false-alarm": lambda engine: engine.false_alarm(case_id, actor, body.reason),
        "close": lambda engine: engine.close(case_id, actor),
        "confirm-request": lambda engine: engine.confirm_end(case_id, actor, body.reason),
        "reject-request": lambda engine: engine.reject_end(case_id, actor, body.reason),
    }
    return steps[action]


def _rescuer_step(
    action: str, case_id: int, rescuer_id: int | None, actor: str, body: Release
) -> EngineStep:
    steps: dict[str, EngineStep] = {
        "accept": lambda engine: engine.accept(case_id, _need(rescuer_id), actor),
        "decline": lambda engine: engine.decline(case_id, _need(rescuer_id), actor, body.reason),
        "depart": lambda engine: engine.depart(case_id, rescuer_id, actor),
        "arrive": lambda engine: engine.arrive(case_id, rescuer_id, actor),
        "release": lambda engine: engine.release(case_id, rescuer_id, actor, body.people_released),
    }
    return steps[action]


def _holds(principal: Principal, case: RescueCase) -> bool:
    """Whether the caller works the case: its rescuer, or the elevator's company."""
    if principal.role is Role.RESCUER:
        return case.rescuer_id is not None and case.rescuer_id == principal.rescuer_id
    return principal.role is Role.COMPANY and principal.company_id == case.company_id


def _need(rescuer_id: int | None) -> int:
    if rescuer_id is None:
        raise InvalidCall("name the rescuer (rescuer_id)")
    return rescuer_id


def _acting_rescuer(principal: Principal, named: int | None, case: RescueCase) -> int | None:
    """Who acts: a rescuer for himself; a company for a rescuer of its own; the desk for
    the case's rescuer or, on a 119 hand-off, for nobody."""
    if principal.role is Role.RESCUER:
        if named not in (None, principal.rescuer_id):
            raise HTTPException(status.HTTP_403_FORBIDDEN, MESSAGES["own_rescuer"])
        return principal.rescuer_id
    if principal.role in (Role.COMPANY, Role.ADMIN, Role.DESK):
        return named if named is not None else case.rescuer_id
    raise HTTPException(status.HTTP_403_FORBIDDEN, MESSAGES["role_may_not"])
