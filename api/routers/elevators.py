"""Elevators: search, detail with current status, recent telemetry."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, status
from pydantic import BaseModel

from api.deps import Db, company_scope, require_roles
from api.map_index import MapIndex, MapQueryError, parse_statuses
from api.pagination import Page, Paging, make_page
from api.security import Principal, Role
from domain.codes import CarStatus, Direction, DoorState, PowerState, ServiceMode
from fleet.map_repository import table_exists

router = APIRouter(prefix="/api/v1/elevators", tags=["elevators"])

Reader = Annotated[Principal, Depends(require_roles(Role.SUPERVISOR, Role.DESK, Role.COMPANY))]
ElevatorId = Annotated[int, Path(ge=1, le=2_147_483_647)]

_CAR = list(CarStatus)
_DIR = list(Direction)
_DOOR = list(DoorState)
_MODE = list(ServiceMode)
_POWER = list(PowerState)


def _name(values: list[Any], i: int) -> str:
    return str(values[i].value) if 0 <= i < len(values) else f"unknown({i})"


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


def _summary(r: Sequence[Any], index: MapIndex | None) -> dict[str, Any]:
    """The summary fields of a row that starts id, code, district, address, company_id,
    lon, lat."""
    return {
        "id": r[0], "code": r[1], "district": r[2], "address": r[3], "company_id": r[4],
        "lon": r[5], "lat": r[6],
        "map_status": index.status_of(r[0]) if index is not None else None,
    }  # fmt: skip


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
        Query(alias="status", max_length=200, description="map statuses, comma-separated"),
    ] = None,
) -> Page[ElevatorSummary]:
    scope = company_scope(principal)
    if scope is not None and company is not None and company != scope:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "a company sees only its own elevators")
    company = scope if scope is not None else company
    index = _index(request)
    ids: list[int] | None = None
    if status_:
        try:
            wanted = parse_statuses(status_)
        except MapQueryError as exc:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from None
        if index is None:
            raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "map index loading")
        ids = index.ids_with_status(wanted or []).tolist()
    cur = await db.execute(
        """SELECT id, code, district, address, company_id, lon, lat FROM elevators
           WHERE (%(code)s::text IS NULL OR code LIKE %(code_like)s)
             AND (%(district)s::text IS NULL OR district = %(district)s)
             AND (%(company)s::integer IS NULL OR company_id = %(company)s)
             AND (%(ids)s::integer[] IS NULL OR id = ANY(%(ids)s))
           ORDER BY id LIMIT %(limit)s OFFSET %(offset)s""",
        {
            "code": code,
            "code_like": (code or "").replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            + "%",
            "district": district,
            "company": company,
            "ids": ids,
            "limit": paging.limit + 1,
            "offset": paging.offset,
        },
    )
    items = [ElevatorSummary(**_summary(r, index)) for r in await cur.fetchall()]
    return make_page(items, paging)


async def visible_elevator(db: Db, principal: Principal, elevator_id: int) -> tuple[Any, ...]:
    """The elevator row, or 404 when it does not exist or is another company's."""
    scope = company_scope(principal)
    cur = await db.execute(
        """SELECT e.id, e.code, e.district, e.address, e.company_id, e.lon, e.lat,
                  e.terminal_id, e.building_type, e.install_date, e.rated_speed, e.floors,
                  c.name, e.insurance_expiry, e.inspection_valid_until, e.in_service
           FROM elevators e JOIN maintenance_companies c ON c.id = e.company_id
           WHERE e.id = %s AND (%s::integer IS NULL OR e.company_id = %s)""",
        (elevator_id, scope, scope),
    )
    row = await cur.fetchone()
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"elevator {elevator_id} not found")
    return tuple(row)


async def _optional_rows(db: Db, table: str, elevator_id: int) -> list[dict[str, Any]] | None:
    if not await table_exists(db, table):
        return None
    cur = await db.execute(
        f"SELECT to_jsonb(t) FROM {table} t WHERE t.elevator_id = %s",  # noqa: S608
        (elevator_id,),
    )
    return [dict(r[0]) for r in await cur.fetchall()]


@router.get("/{elevator_id}", response_model=ElevatorDetail)
async def elevator_detail(
    request: Request, db: Db, principal: Reader, elevator_id: ElevatorId
) -> ElevatorDetail:
    r = await visible_elevator(db, principal, elevator_id)
    cur = await db.execute(
        """SELECT ts, car, dir, floor, door_zone, door, passenger, mode, power, speed,
                  online, received_at FROM elevator_status WHERE elevator_id = %s""",
        (elevator_id,),
    )
    s = await cur.fetchone()
    current = None
    if s is not None:
        current = CurrentStatus(
            ts=s[0],
            car=_name(_CAR, s[1]),
            direction=_name(_DIR, s[2]),
            floor=s[3],
            door_zone=s[4],
            door=_name(_DOOR, s[5]),
            passenger=s[6],
            mode=_name(_MODE, s[7]),
            power=_name(_POWER, s[8]),
            speed=s[9],
            online=s[10],
            received_at=s[11],
        )
    cur = await db.execute(
        """SELECT id, type, severity, state, opened_at, last_seen_at FROM alarms
           WHERE elevator_id = %s AND state IN ('open', 'acknowledged', 'in_progress')
           ORDER BY severity DESC, opened_at DESC""",
        (elevator_id,),
    )
    alarms = [
        ActiveAlarm(
            id=a[0], type=a[1], severity=a[2], state=a[3], opened_at=a[4], last_seen_at=a[5]
        )
        for a in await cur.fetchall()
    ]
    scores = await _optional_rows(db, "elevator_scores", elevator_id)
    index = _index(request)
    return ElevatorDetail(
        **_summary(r, index),
        terminal_id=r[7],
        building_type=r[8],
        install_date=r[9].isoformat(),
        rated_speed=r[10],
        floors=r[11],
        company_name=r[12],
        insurance_expiry=r[13].isoformat() if r[13] else None,
        inspection_valid_until=r[14].isoformat() if r[14] else None,
        in_service=r[15],
        status=current,
        alarms=alarms,
        score=scores[0] if scores else None,
        plans=await _optional_rows(db, "maintenance_plans", elevator_id),
    )


@router.get("/{elevator_id}/telemetry", response_model=Telemetry)
async def elevator_telemetry(
    request: Request,
    db: Db,
    principal: Reader,
    elevator_id: ElevatorId,
    minutes: Annotated[int, Query(ge=1, le=7 * 24 * 60, description="window length")] = 60,
    limit: Annotated[int, Query(ge=1, description="newest samples at most")] = 500,
) -> Telemetry:
    maximum: int = request.app.state.config.api.telemetry_max_samples
    if limit > maximum:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, f"limit must be at most {maximum}"
        )
    await visible_elevator(db, principal, elevator_id)
    since = datetime.now(UTC) - timedelta(minutes=minutes)
    cur = await db.execute(
        """SELECT ts, floor, speed, load, door, passenger FROM (
               SELECT ts, seq, floor, speed, load, door, passenger FROM telemetry
               WHERE elevator_id = %s AND ts >= %s ORDER BY ts DESC, seq DESC LIMIT %s
           ) t ORDER BY ts, seq""",
        (elevator_id, since, limit),
    )
    rows = await cur.fetchall()
    return Telemetry(
        elevator_id=elevator_id,
        since=since,
        ts=[r[0] for r in rows],
        floor=[r[1] for r in rows],
        speed=[r[2] for r in rows],
        load=[r[3] for r in rows],
        door=[_name(_DOOR, r[4]) for r in rows],
        passenger=[r[5] for r in rows],
    )
