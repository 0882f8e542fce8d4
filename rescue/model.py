"""The records of 96333 rescue: one shape each, shared by the engine, the API and the board.

Pure frozen dataclasses, no I/O. The repositories fill them (``class_row``); the API's
response models are projections of their fields (``api/routers/rescue_models.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal


@dataclass(frozen=True, kw_only=True)
class RescueCase:
    """A rescue case with its elevator's code, place and maintenance company."""

    id: int
    elevator_id: int
    elevator_code: str
    district: str
    address: str
    company_id: int
    source: str
    state: str
    tier: int
    rescuer_id: int | None
    people_trapped: int
    caller_phone: str
    alarm_id: int | None
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
    lon: float
    lat: float
    # A company's or rescuer's request that the desk end the case ("false_alarm" or
    # "cancelled"), waiting for the desk to confirm or reject it.
    end_request: str | None = None


# Who may read a case's caller details (the caller's phone, the call's note): the desk,
# supervisors, the elevator's company, and a rescuer only while involved (holding the
# case or with a pending offer of it).
CALLER_DETAIL_KEYS: tuple[str, ...] = ("caller_phone", "note")


# What the case API shows of a case (GET /api/v1/cases, the answer to an action).
CASE_FIELDS: tuple[str, ...] = (
    "id", "elevator_id", "elevator_code", "district", "company_id", "source", "state", "tier",
    "rescuer_id", "people_trapped", "trapped_since", "reported_at", "decided_at",
    "accepted_at", "arrived_at", "released_at", "closed_at", "arrival_due_at",
    "insurance_flag", "fire_service", "end_request",
)  # fmt: skip

# What the desk's board shows of a case (with its timeline and offers).
BOARD_FIELDS: tuple[str, ...] = (
    "id", "elevator_id", "elevator_code", "district", "address", "company_id", "source",
    "state", "tier", "rescuer_id", "people_trapped", "trapped_since", "reported_at",
    "accepted_at", "arrived_at", "released_at", "arrival_due_at", "insurance_flag",
    "end_request",
)  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class TimelineEntry:
    """One step of a case's append-only timeline."""

    case_id: int
    at: datetime
    step: str
    actor: str
    detail: dict[str, Any]


TIMELINE_FIELDS: tuple[str, ...] = ("at", "step", "actor", "detail")


@dataclass(frozen=True, kw_only=True)
class Offer:
    """A dispatch offer of a case to one rescuer."""

    id: int
    case_id: int
    rescuer_id: int
    tier: int
    round_number: int
    attempts: int
    eta_s: float
    distance_m: float
    offered_at: datetime
    expires_at: datetime
    state: str
    answered_at: datetime | None


OFFER_FIELDS: tuple[str, ...] = (
    "id", "case_id", "rescuer_id", "tier", "eta_s", "distance_m", "offered_at", "expires_at",
    "state", "answered_at",
)  # fmt: skip
BOARD_OFFER_FIELDS: tuple[str, ...] = (
    "rescuer_id", "tier", "state", "offered_at", "eta_s", "distance_m",
)  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class BoardCase:
    """A case on the desk's board: the case, its timeline and its offers."""

    case: RescueCase
    timeline: list[TimelineEntry]
    offers: list[Offer] | None  # None: dispatch offers not deployed


@dataclass(frozen=True, kw_only=True)
class CaseDetail:
    """A case with its timeline and the offers the reader may see."""

    case: RescueCase
    timeline: list[TimelineEntry]
    offers: list[Offer]


@dataclass(frozen=True)
class CaseRef:
    case_id: int
    created: bool  # False: the call or alarm joined the elevator's open case


@dataclass(frozen=True)
class HotlineCall:
    """A call to 96333 about an elevator, named by registration code or address."""

    elevator_code: str | None = None
    address: str | None = None
    caller_phone: str = ""
    people_trapped: int = 1
    note: str = ""


@dataclass(frozen=True)
class CaseScope:
    """What a reader may see: one company's elevators, one rescuer's offered or assigned
    cases (``-1`` matches none), or everything (both None)."""

    company_id: int | None = None
    rescuer_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class CaseFilter:
    """Filters of the case list (each None: no filter)."""

    states: list[str] | None = None
    district: str | None = None
    company_id: int | None = None
    elevator_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class Webhook:
    """A maintenance company's subscription to its case events."""

    id: int
    company_id: int
    url: str
    active: bool
    created_at: datetime


GroupBy = Literal["district", "company"]


@dataclass(frozen=True)
class Indicator:
    """Rescue figures of one district or company."""

    group: str
    cases: int
    arrived: int
    mean_arrival_min: float | None
    mean_on_site_min: float | None
    share_30min: float | None
    share_decided_5min: float | None
    insurance_flags: int
    fire_service: int
