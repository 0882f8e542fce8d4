"""Registry records as the API reads them: typed rows of the fleet's tables."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any


@dataclass(frozen=True)
class ElevatorSummary:
    id: int
    code: str
    district: str
    address: str
    company_id: int
    lon: float
    lat: float


@dataclass(frozen=True)
class ElevatorRecord(ElevatorSummary):
    """An elevator's registry data with its company's name."""

    terminal_id: str
    building_type: str
    install_date: date
    rated_speed: float
    floors: int
    company_name: str
    insurance_expiry: date | None
    inspection_valid_until: date | None
    in_service: bool


@dataclass(frozen=True)
class ElevatorStatus:
    """The last reported status, as codes (see :mod:`domain.codes`)."""

    ts: datetime
    car: int
    direction: int
    floor: int
    door_zone: bool
    door: int
    passenger: bool
    mode: int
    power: int
    speed: float
    online: bool
    received_at: datetime


@dataclass(frozen=True)
class ActiveAlarm:
    id: int
    type: str
    severity: int
    state: str
    opened_at: datetime
    last_seen_at: datetime


@dataclass(frozen=True)
class TelemetrySample:
    ts: datetime
    floor: int
    speed: float
    load: float
    door: int
    passenger: bool


@dataclass(frozen=True)
class ElevatorDetail:
    """Everything the detail view shows; ``score`` and ``plans`` are None where the
    maintenance part's tables do not exist."""

    elevator: ElevatorRecord
    status: ElevatorStatus | None
    alarms: list[ActiveAlarm]
    score: dict[str, Any] | None
    plans: list[dict[str, Any]] | None


@dataclass(frozen=True)
class ElevatorQuery:
    """Search filters; None matches everything."""

    code_prefix: str | None = None
    district: str | None = None
    company_id: int | None = None
    ids: list[int] | None = None
