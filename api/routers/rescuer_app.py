"""The rescuer's phone (the page ``/rescuer``, :mod:`api.routers.field_pages`): everything
it shows in one read, and its actions, which the phone queues while offline and sends
later with their own ids.

Only a rescuer account uses these routes (his own offers and case); an action is applied
once, a resend of its id answers the first outcome with ``replayed = true``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, status
from pydantic import AwareDatetime, BaseModel, Field

from api.deps import Db, require_roles
from api.errors import AUTHENTICATED, problem_response
from api.projection import projection
from api.routers.rescue_dispatch import RunEngine, case_scope
from api.security import Principal, Role
from rescue import queries
from rescue.model import ActionOutcome, PhoneAction, PhoneCase, PhoneOffer, PhonePosition
from rescue.phone import Navigation as NavigationLinks
from rescue.phone import PhoneActions, navigation
from rescue.repository import phone as phone_repository

router = APIRouter(prefix="/api/v1/rescuers/me", tags=["rescue"], responses=AUTHENTICATED)

Rescuer = Annotated[Principal, Depends(require_roles(Role.RESCUER))]
BIG = 2**53 - 1  # row ids: the largest integer a JSON number (a double) holds exactly
NO_NUL = r"^[^\x00]*$"  # text the database can store

_AUTH = problem_response(403, "not a rescuer account, or the case is not his")
_ACTION_ERRORS = {
    **_AUTH,
    **problem_response(404, "no such case or offer visible to this rescuer"),
    **problem_response(
        409,
        "the offer is closed or expired, the case cannot take this step now,"
        " the rescuer already holds a case, or the action id was used for another action",
    ),
    **problem_response(422, "invalid body (action id, kind, position, note, people)"),
}


# The cards: projections of ``rescue.model`` / ``rescue.phone`` records (api.projection).
if TYPE_CHECKING:
    OfferCard = BaseModel
    Navigation = BaseModel
    CaseCard = BaseModel
    ActionOut = BaseModel
else:
    OfferCard = projection(PhoneOffer, "OfferCard", module=__name__)
    Navigation = projection(
        NavigationLinks,
        "Navigation",
        descriptions={"lon": "the elevator in GCJ-02", "lat": "the elevator in GCJ-02"},
        module=__name__,
    )
    CaseCard = projection(
        PhoneCase,
        "CaseCard",
        descriptions={
            "lon": "the elevator in WGS-84 (as stored)",
            "lat": "the elevator in WGS-84 (as stored)",
        },
        module=__name__,
        navigation=(Navigation, ...),
    )


class PhoneView(BaseModel):
    server_time: datetime = Field(description="for the phone's countdowns (its clock may be off)")
    arrival_radius_m: float
    offers: list[OfferCard]
    case: CaseCard | None


class PositionIn(BaseModel):
    lon: float = Field(ge=-180, le=180, description="WGS-84 (navigator.geolocation)")
    lat: float = Field(ge=-90, le=90)
    accuracy_m: float | None = Field(None, ge=0, le=100_000)


class ActionIn(BaseModel):
    action_id: str = Field(
        pattern=r"^[A-Za-z0-9_-]{8,64}$", description="the phone's own id of this action"
    )
    kind: Literal["accept", "decline", "depart", "arrive", "release"]
    case_id: int = Field(ge=1, le=BIG)
    done_at: AwareDatetime | None = Field(None, description="when it was tapped (phone clock)")
    position: PositionIn | None = Field(None, description="arrive: where the phone is")
    note: str = Field(
        "", max_length=500, pattern=NO_NUL, description="release: a note; decline: a reason"
    )
    people_released: int | None = Field(None, ge=0, le=50)


if not TYPE_CHECKING:
    ActionOut = projection(
        ActionOutcome,
        "ActionOut",
        descriptions={
            "state": "the case's state after the action",
            "distance_m": "arrive: metres from the elevator",
            "far": "arrive: farther than arrival_radius_m",
            "replayed": "true: a resend, answered from the first outcome",
        },
        defaults={"distance_m": None, "far": None},
        module=__name__,
    )


def _rescuer_id(principal: Principal) -> int:
    if principal.rescuer_id is None:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "errors.rescuer.not_a_rescuer")
    return principal.rescuer_id


@router.get("/phone", response_model=PhoneView, responses=_AUTH)
async def phone_view(db: Db, principal: Rescuer, run_engine: RunEngine) -> PhoneView:
    """The phone's screen: open offers (with the server time for their countdown) and the
    rescuer's case with the elevator's place, caller and navigation links (GCJ-02)."""
    rescuer_id = _rescuer_id(principal)
    offers = await phone_repository.open_offers(db, rescuer_id)
    case = await phone_repository.own_case(db, rescuer_id)
    card = None
    if case is not None:
        nav = navigation(case.lon, case.lat, case.address or case.elevator_code)
        fields = {**case.__dict__, "navigation": Navigation.model_validate(nav)}
        card = CaseCard.model_validate(fields)
    return PhoneView(
        server_time=datetime.now(UTC),
        arrival_radius_m=run_engine.settings.arrival_radius_m,
        offers=[OfferCard.model_validate(offer) for offer in offers],
        case=card,
    )


@router.post("/actions", response_model=ActionOut, responses=_ACTION_ERRORS)
async def phone_action(
    db: Db, principal: Rescuer, run_engine: RunEngine, body: ActionIn
) -> ActionOut:
    """Accept, decline, depart, arrive (with the phone's position: the server computes the
    distance to the elevator and flags more than ``arrival_radius_m``), release (with a
    note). Idempotent by ``action_id``."""
    rescuer_id = _rescuer_id(principal)
    await queries.visible_case(db, case_scope(principal), body.case_id)
    position = (
        None
        if body.position is None
        else PhonePosition(body.position.lon, body.position.lat, body.position.accuracy_m)
    )
    action = PhoneAction(
        action_id=body.action_id,
        kind=body.kind,
        case_id=body.case_id,
        done_at=body.done_at,
        position=position,
        note=body.note,
        people_released=body.people_released,
    )
    actor = f"rescuer:{principal.subject}"
    outcome = await run_engine(lambda engine: PhoneActions(engine).apply(rescuer_id, action, actor))
    return ActionOut.model_validate(outcome)
