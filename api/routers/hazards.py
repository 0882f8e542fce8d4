"""Hazards (隐患): report, the life cycle (assign, start, remediate, verify, send back,
close), grading, the out-of-service order, evidence upload, the map layer and the
indicators with their CSV. Supervisors grade, assign, verify and close; the responsible
company or user unit remediates and uploads evidence; each sees only its own elevators'."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, UploadFile, status
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from api.deps import Db, require_roles
from api.errors import AUTHENTICATED, media_response, problem_response, request_lang
from api.pagination import Paging
from api.projection import projection
from api.security import Principal, Role
from domain.errors import LiftwatchError
from hazards import indicators_repository as ind_repo
from hazards import service
from hazards.config import HazardSettings
from hazards.errors import EvidenceTooLarge, InvalidEvidence
from hazards.evidence import EvidenceStore, store_for
from hazards.indicators import HazardIndicators, figures, to_csv
from hazards.model import (
    CATEGORIES,
    Action,
    Actor,
    Evidence,
    Grade,
    Hazard,
    NewHazard,
    Party,
    Scope,
    Source,
    TrailEntry,
)
from hazards.policy import check_evidence
from i18n import error_message

router = APIRouter(prefix="/api/v1/hazards", tags=["hazards"], responses=AUTHENTICATED)

Anyone = Annotated[
    Principal,
    Depends(require_roles(Role.SUPERVISOR, Role.DESK, Role.COMPANY, Role.USER_UNIT)),
]
HazardId = Annotated[int, Path(ge=1, le=2**62)]
EvidenceId = Annotated[int, Path(ge=1, le=2**62)]
ElevatorId = Annotated[int, Query(ge=1, le=2_147_483_647)]
District = Annotated[str, Query(min_length=1, max_length=64)]

ERRORS = {
    **problem_response(400, "a value the database refuses (e.g. a NUL character in text)"),
    **problem_response(403, "the role or the responsible party may not take this step"),
    **problem_response(404, "no such hazard or elevator within the caller's scope"),
}
STEP_ERRORS = {
    **ERRORS,
    **problem_response(409, "the step is not allowed from the hazard's state (or no evidence yet)"),
    **problem_response(422, "invalid input (a note missing, a grade missing, ...)"),
}
UPLOAD_ERRORS = {
    **STEP_ERRORS,
    **problem_response(413, "the file is larger than the limit"),
    **problem_response(415, "not a JPEG/PNG/WebP photo or a PDF (checked by content)"),
    **problem_response(503, "the evidence store (object storage) is unavailable"),
}


def hazard_settings(request: Request) -> HazardSettings:
    found = getattr(request.app.state, "hazard_settings", None)
    return found if isinstance(found, HazardSettings) else HazardSettings()


def evidence_store(request: Request) -> EvidenceStore:
    store: EvidenceStore | None = getattr(request.app.state, "evidence_store", None)
    if store is None:
        store = store_for(hazard_settings(request))
        request.app.state.evidence_store = store
    return store


def scope_of(principal: Principal) -> Scope:
    if principal.role is Role.COMPANY:
        return Scope(company_id=principal.company_id if principal.company_id else -1)
    if principal.role is Role.USER_UNIT:
        return Scope(user_unit_id=principal.user_unit_id if principal.user_unit_id else -1)
    return Scope(every=principal.role in (Role.ADMIN, Role.SUPERVISOR, Role.DESK))


def actor_of(principal: Principal) -> Actor:
    return Actor(f"{principal.role.value}:{principal.subject}", principal.role.value,
                 scope_of(principal))  # fmt: skip


# The response models: projections of the records in ``hazards.model`` (api.projection).
if TYPE_CHECKING:
    HazardOut = BaseModel
    TrailOut = BaseModel
    EvidenceOut = BaseModel
    HazardDetailOut = BaseModel
else:
    HazardOut = projection(
        Hazard, "HazardOut", without=("lon", "lat"), module=__name__, overdue=(bool, False)
    )
    TrailOut = projection(TrailEntry, "TrailOut", without=("id", "hazard_id"), module=__name__)
    EvidenceOut = projection(
        Evidence, "EvidenceOut", without=("hazard_id", "storage_key"), module=__name__
    )
    HazardDetailOut = projection(
        Hazard,
        "HazardDetailOut",
        (),
        base=HazardOut,
        module=__name__,
        trail=(list[TrailOut], ...),
        files=(list[EvidenceOut], ...),
    )


class ReportIn(BaseModel):
    elevator_id: int = Field(ge=1, le=2_147_483_647)
    source: Literal["inspection", "maintenance", "spot_check", "complaint"]
    category: str = Field(min_length=1, max_length=32, json_schema_extra={"enum": list(CATEGORIES)})
    description: str = Field(min_length=2, max_length=2000)
    party: Literal["user_unit", "company"] | None = None
    grade: Literal["general", "serious"] | None = None


class StepIn(BaseModel):
    action: Literal[
        "assign", "start", "remediate", "verify", "send_back", "close", "regrade",
        "out_of_service", "return_to_service",
    ]  # fmt: skip
    note: str = Field("", max_length=2000)
    party: Literal["user_unit", "company"] | None = None
    grade: Literal["general", "serious"] | None = None


def _overdue(h: Hazard, now: datetime) -> bool:
    return h.state in ("reported", "assigned", "remediating") and h.due_at < now


def _out(h: Hazard, now: datetime) -> HazardOut:
    return HazardOut.model_validate(h).model_copy(update={"overdue": _overdue(h, now)})


@router.get("", response_model=list[HazardOut], responses=ERRORS)
async def list_hazards(
    db: Db,
    principal: Anyone,
    paging: Paging,
    elevator_id: ElevatorId | None = None,
    state: Literal["reported", "assigned", "remediating", "remediated", "verified", "closed"]
    | None = None,
    grade: Literal["general", "serious"] | None = None,
    district: District | None = None,
    open_only: Annotated[bool, Query(alias="open")] = False,
) -> list[HazardOut]:
    """Hazards within the caller's scope, newest first."""
    filters = {"elevator": elevator_id, "state": state, "grade": grade, "district": district,
               "open": open_only}  # fmt: skip
    found = await service.hazards(db, scope_of(principal), filters, paging.limit, paging.offset)
    now = datetime.now(UTC)
    return [_out(h, now) for h in found]


@router.post(
    "", response_model=HazardOut, status_code=status.HTTP_201_CREATED,
    responses={**STEP_ERRORS, **problem_response(422, "invalid input, or a grade set by a"
                                                  " non-supervisor")},
)  # fmt: skip
async def report_hazard(request: Request, db: Db, principal: Anyone, body: ReportIn) -> HazardOut:
    """Report a finding (inspection, maintenance visit, spot check, complaint); graded by
    the rules unless a supervisor sets the grade; deadline by grade."""
    new = NewHazard(
        elevator_id=body.elevator_id,
        source=Source(body.source),
        category=body.category,
        description=body.description,
        party=Party(body.party) if body.party else None,
        grade=Grade(body.grade) if body.grade else None,
    )
    now = datetime.now(UTC)
    hazard = await service.report(db, new, actor_of(principal), now, hazard_settings(request))
    return _out(hazard, now)


@router.get(
    "/map",
    responses={**ERRORS, **media_response("GeoJSON", "application/geo+json")},
)
async def hazards_map(
    db: Db, principal: Anyone, limit: Annotated[int, Query(ge=1, le=20000)] = 5000
) -> JSONResponse:
    """Open hazards as GeoJSON points for the map's hazards layer (serious first)."""
    filters = {"elevator": None, "state": None, "grade": None, "district": None, "open": True}
    found = await service.hazards(db, scope_of(principal), filters, limit, 0)
    now = datetime.now(UTC)
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [h.lon, h.lat]},
            "properties": {
                "id": h.id,
                "elevator_id": h.elevator_id,
                "code": h.registration_code,
                "grade": h.grade,
                "state": h.state,
                "category": h.category,
                "escalation": h.escalation,
                "out_of_service": h.out_of_service,
                "overdue": _overdue(h, now),
            },
        }
        for h in sorted(found, key=lambda h: h.grade != "serious")
    ]
    return JSONResponse(
        {"type": "FeatureCollection", "features": features},
        media_type="application/geo+json",
    )


def _indicators_window(days: int) -> tuple[datetime, datetime]:
    until = datetime.now(UTC)
    return until - timedelta(days=days), until


async def _indicators(db: Any, principal: Principal, days: int) -> HazardIndicators:
    since, until = _indicators_window(days)
    scope = scope_of(principal)
    return figures(
        since, until,
        await ind_repo.remediation(db, scope, since, until),
        await ind_repo.open_by(db, scope, until),
    )  # fmt: skip


Days = Annotated[int, Query(ge=1, le=3660)]


@router.get("/indicators", response_model=HazardIndicators, responses=ERRORS)
async def hazard_indicators(db: Db, principal: Anyone, days: Days = 365) -> HazardIndicators:
    """Open hazards by grade and district, the remediation of hazards reported in the last
    ``days`` by grade (rate against the 100 % target for serious ones, median days), and
    the hazards overdue now."""
    return await _indicators(db, principal, days)


@router.get(
    "/indicators.csv",
    response_class=Response,
    responses={**ERRORS, **media_response("CSV", "text/csv")},
)
async def hazard_indicators_csv(db: Db, principal: Anyone, days: Days = 365) -> Response:
    ind = await _indicators(db, principal, days)
    return Response(
        to_csv(ind),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="liftwatch-hazards.csv"'},
    )


@router.get("/{hazard_id}", response_model=HazardDetailOut, responses=ERRORS)
async def hazard_detail(db: Db, principal: Anyone, hazard_id: HazardId) -> HazardDetailOut:
    """One hazard with its trail (who, when, what, evidence) and its files."""
    found = await service.detail(db, hazard_id, scope_of(principal))
    base = _out(found.hazard, datetime.now(UTC))
    return HazardDetailOut(
        **base.model_dump(),
        trail=[TrailOut.model_validate(t) for t in found.trail],
        files=[EvidenceOut.model_validate(e) for e in found.evidence],
    )


@router.post("/{hazard_id}/actions", response_model=HazardOut, responses=STEP_ERRORS)
async def hazard_step(
    request: Request, db: Db, principal: Anyone, hazard_id: HazardId, body: StepIn
) -> HazardOut:
    """One step of the life cycle; regrade, out_of_service and return_to_service keep the
    state. Sending back and regrading need a note; remediating needs evidence first."""
    step = service.Step(
        action=Action(body.action),
        note=body.note,
        party=Party(body.party) if body.party else None,
        grade=Grade(body.grade) if body.grade else None,
    )
    now = datetime.now(UTC)
    hazard = await service.act(
        db, hazard_id, step, actor_of(principal), now, hazard_settings(request)
    )
    return _out(hazard, now)


def _said(request: Request, exc: LiftwatchError) -> str:
    """A refusal's message in the caller's language (for a status of its own)."""
    return error_message(exc, request_lang(request))


@router.post(
    "/{hazard_id}/evidence",
    response_model=EvidenceOut,
    status_code=status.HTTP_201_CREATED,
    responses=UPLOAD_ERRORS,
)
async def upload_evidence(
    request: Request, db: Db, principal: Anyone, hazard_id: HazardId, file: UploadFile
) -> EvidenceOut:
    """A photo or PDF of the finding or the remediation (multipart field ``file``)."""
    settings = hazard_settings(request)
    limit = settings.evidence_max_bytes
    if file.size is not None and file.size > limit:
        raise HTTPException(
            status.HTTP_413_CONTENT_TOO_LARGE, _said(request, EvidenceTooLarge(file.size, limit))
        )
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise HTTPException(
            status.HTTP_413_CONTENT_TOO_LARGE, _said(request, EvidenceTooLarge(len(data), limit))
        )
    name = (file.filename or "evidence")[-200:]
    try:
        check_evidence(name, data)
    except InvalidEvidence as exc:
        raise HTTPException(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, _said(request, exc)) from None
    evidence = await service.add_evidence(
        db, evidence_store(request), hazard_id, name, data, actor_of(principal),
        datetime.now(UTC), settings,
    )  # fmt: skip
    return EvidenceOut.model_validate(evidence)


@router.get(
    "/{hazard_id}/evidence/{evidence_id}",
    response_class=Response,
    responses={
        **ERRORS,
        503: UPLOAD_ERRORS[503],
        **media_response("the file", "image/jpeg", "image/png", "image/webp", "application/pdf"),
    },
)
async def evidence_file(
    request: Request, db: Db, principal: Anyone, hazard_id: HazardId, evidence_id: EvidenceId
) -> Response:
    item, data = await service.evidence_file(
        db, evidence_store(request), hazard_id, evidence_id, scope_of(principal)
    )
    return Response(
        data,
        media_type=item.media_type,
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=3600"},
    )
