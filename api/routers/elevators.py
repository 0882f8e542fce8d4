"""Elevators: search, detail with current status, recent telemetry."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel

from api.deps import Db, company_scope, require_roles
from api.errors import AUTHENTICATED, NOT_FOUND
from api.map_index import MapIndex, parse_statuses
from api.pagination import Page, Paging, make_page
from api.params import STATUS_LIST_PATTERN
from api.security import Principal, Role
from domain.codes import CarStatus, Direction, DoorState, PowerState, ServiceMode
from fleet import service as fleet
from fleet.errors import MapIndexLoading
from fleet.model import ElevatorQuery, ElevatorRecord, ElevatorStatus
from fleet.model import ElevatorSummary as SummaryRow

TELEMETRY_SAMPLES_LIMIT = 2000  # ApiSettings.telemetry_max_samples may lower it

router = APIRouter(prefix="/api/v1/elevators", tags=["elevators"], responses=AUTHENTICATED)

Reader = Annotated[Principal, Depends(require_roles(Role.SUPERVISOR, Role.DESK, Role.COMPANY))]
ElevatorId = Annotated[int, Path(ge=1, le=2_147_483_647)]


_CAR = list(CarStatus)
_DIR = list(Direction)
_DOOR = list(DoorState)
_MODE = list(ServiceMode)
_POWER = list(PowerState)


def _name(values: list[Any], code: int) -> str:
    """The name of a status code (its position in the enum), or ``unknown(code)``."""
    return str(values[code].value) if 0 <= code < len(values) else f"unknown({code})"


class ElevatorSummary(BaseModel):
    id: int
    code: str
    district: str
    address: str
    company_id: int
    lon: float
    lat: float
    map_status: str | None


class CurrentStatus(BaseModel):
    ts: datetime
    car: str
    direction: str
    floor: int
    door_zone: bool
    door: str
    passenger: bool
    mode: str
    power: str
    speed: float
    online: bool
    received_at: datetime

    @classmethod
    def decode(cls, s: ElevatorStatus) -> CurrentStatus:
        """The status with its codes spelled out (see :mod:`domain.codes`)."""
        return cls(
            ts=s.ts, car=_name(_CAR, s.car), direction=_name(_DIR, s.direction),
            floor=s.floor, door_zone=s.door_zone, door=_name(_DOOR, s.door),
            passenger=s.passenger, mode=_name(_MODE, s.mode), power=_name(_POWER, s.power),
            speed=s.speed, online=s.online,
            received_at=s.received_at,
        )  # fmt: skip


class ActiveAlarm(BaseModel):
    id: int
    type: str
    severity: int
    state: str
    opened_at: datetime
    last_seen_at: datetime


class ElevatorDetail(ElevatorSummary):
    terminal_id: str
    building_type: str
    install_date: str
    rated_speed: float
    floors: int
    company_name: str
    insurance_expiry: str | None
    inspection_valid_until: str | None
    in_service: bool
    status: CurrentStatus | None
    alarms: list[ActiveAlarm]
    score: dict[str, Any] | None
    plans: list[dict[str, Any]] | None


class Telemetry(BaseModel):
    elevator_id: int
    since: datetime
    ts: list[datetime]
    floor: list[int]
    speed: list[float]
    load: list[float]
    door: list[str]
    passenger: list[bool]


def _index(request: Request) -> MapIndex | None:
    keeper = getattr(request.app.state, "map_keeper", None)
    return keeper.index if keeper is not None else None


def _summary(row: SummaryRow, index: MapIndex | None) -> dict[str, Any]:
    """The summary fields of an elevator, with its map status from the index."""
    return {
        "id": row.id, "code": row.code, "district": row.district, "address": row.address,
        "company_id": row.company_id, "lon": row.lon, "lat": row.lat,
        "map_status": index.status_of(row.id) if index is not None else None,
    }  # fmt: skip


def _ids_with_status(index: MapIndex | None, statuses: str | None) -> list[int] | None:
    """The ids of the elevators whose map status is one of ``statuses`` (None: no filter)."""
    if not statuses:
        return None
    wanted = parse_statuses(statuses)
    if index is None:
        raise MapIndexLoading("map index loading")
    ids: list[int] = index.ids_with_status(wanted or []).tolist()
    return ids


@router.get("", response_model=Page[ElevatorSummary])
async def search_elevators(
    request: Request,
    db: Db,
    principal: Reader,
    paging: Paging,
    code: Annotated[
        str | None, Query(max_length=64, description="registration code prefix")
    ] = None,
    district: Annotated[str | None, Query(max_length=64)] = None,
    company: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    status_: Annotated[
        str | None,
        Query(
            alias="status",
            max_length=200,
            pattern=STATUS_LIST_PATTERN,
            description="map statuses, comma-separated",
        ),
    ] = None,
) -> Page[ElevatorSummary]:
    company = fleet.company_filter(company_scope(principal), company)
    index = _index(request)
    query = ElevatorQuery(code, district, company, _ids_with_status(index, status_))
    rows = await fleet.search_elevators(db, query, paging.limit + 1, paging.offset)
    return make_page([ElevatorSummary(**_summary(r, index)) for r in rows], paging)


def _registry(record: ElevatorRecord) -> dict[str, Any]:
    return {
        "terminal_id": record.terminal_id,
        "building_type": record.building_type,
        "install_date": record.install_date.isoformat(),
        "rated_speed": record.rated_speed,
        "floors": record.floors,
        "company_name": record.company_name,
        "insurance_expiry": record.insurance_expiry.isoformat()
        if record.insurance_expiry
        else None,
        "inspection_valid_until": record.inspection_valid_until.isoformat()
        if record.inspection_valid_until
        else None,
        "in_service": record.in_service,
    }


@router.get("/{elevator_id}", response_model=ElevatorDetail, responses=NOT_FOUND)
async def elevator_detail(
    request: Request, db: Db, principal: Reader, elevator_id: ElevatorId
) -> ElevatorDetail:
    detail = await fleet.elevator_detail(db, elevator_id, company_scope(principal))
    return ElevatorDetail(
        **_summary(detail.elevator, _index(request)),
        **_registry(detail.elevator),
        status=CurrentStatus.decode(detail.status) if detail.status is not None else None,
        alarms=[ActiveAlarm(**vars(a)) for a in detail.alarms],
        score=detail.score,
        plans=detail.plans,
    )


@router.get("/{elevator_id}/telemetry", response_model=Telemetry, responses=NOT_FOUND)
async def elevator_telemetry(
    request: Request,
    db: Db,
    principal: Reader,
    elevator_id: ElevatorId,
    minutes: Annotated[int, Query(ge=1, le=7 * 24 * 60, description="window length")] = 60,
    limit: Annotated[
        int,
        Query(ge=1, le=TELEMETRY_SAMPLES_LIMIT, description="newest samples at most (capped)"),
    ] = 500,
) -> Telemetry:
    limit = min(limit, request.app.state.config.api.telemetry_max_samples)
    scope = company_scope(principal)
    since, samples = await fleet.recent_telemetry(db, elevator_id, scope, minutes, limit)
    return Telemetry(
        elevator_id=elevator_id,
        since=since,
        ts=[s.ts for s in samples],
        floor=[s.floor for s in samples],
        speed=[s.speed for s in samples],
        load=[s.load for s in samples],
        door=[_name(_DOOR, s.door) for s in samples],
        passenger=[s.passenger for s in samples],
    )
