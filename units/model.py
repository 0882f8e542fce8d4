"""User units, their safety staff, checklists and check records (rows of the repository)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any


class CheckKind(StrEnum):
    DAILY = "daily"  # 日管控: per elevator or per building
    WEEKLY = "weekly"  # 周排查
    MONTHLY = "monthly"  # 月调度: a meeting with its minutes


class Duty(StrEnum):
    DIRECTOR = "director"  # 安全总监
    OFFICER = "officer"  # 安全员


@dataclass(frozen=True)
class Unit:
    id: int
    name: str
    district: str | None
    contact_phone: str
    management_level: int
    elevators: int


@dataclass(frozen=True)
class Staff:
    id: int
    user_unit_id: int
    duty: str
    name: str
    phone: str
    certificate_no: str
    certificate_valid_until: date | None
    active: bool


@dataclass(frozen=True)
class Checklist:
    id: int
    user_unit_id: int | None
    kind: str
    per: str  # elevator | building | unit
    name: str
    items: list[dict[str, Any]]


@dataclass(frozen=True)
class CheckRecord:
    id: int
    user_unit_id: int
    checklist_id: int
    kind: str
    elevator_id: int | None
    building: str | None
    period_start: date
    done_at: datetime
    done_by: str
    results: dict[str, Any]
    problems: int
    minutes: str


@dataclass(frozen=True)
class NewCheck:
    kind: CheckKind
    day: date
    results: dict[str, bool]
    elevator_id: int | None = None
    building: str | None = None
    minutes: str = ""


@dataclass(frozen=True)
class CheckCounts:
    """What a unit recorded in a window, as the completion reads it."""

    user_unit_id: int
    elevators: int
    daily_done: int  # distinct (elevator, day) covered by a daily check
    weekly_done: int  # distinct weeks with an investigation
    monthly_done: int  # distinct months with a meeting (minutes required)
    recorded_ever: bool  # the unit keeps its records in the system at all
    staffed: bool | None  # a director and an officer with valid certificates (None: none listed)


@dataclass(frozen=True)
class Completion:
    user_unit_id: int
    daily: float
    weekly: float
    monthly: float
    overall: float  # NaN when the unit keeps no records in the system
    staffed: bool | None
