"""The public record of an elevator (信息公示), reports, tickets and their progress."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

HOTLINE = "96333"


class ReportKind(StrEnum):
    ENTRAPMENT = "entrapment"
    FAULT = "fault"
    COMPLAINT = "complaint"


# What a passenger may pick; the text field says the rest.
CATEGORIES: dict[ReportKind, tuple[str, ...]] = {
    ReportKind.ENTRAPMENT: ("trapped",),
    ReportKind.FAULT: ("stopped", "door", "noise", "shaking", "button", "light", "other"),
    ReportKind.COMPLAINT: ("dirty", "noisy", "out_of_service_days", "smell", "other"),
}


class PublicStatus(StrEnum):
    IN_SERVICE = "in_service"
    MAINTENANCE = "maintenance"
    OUT_OF_SERVICE = "out_of_service"
    RESCUE = "rescue"


@dataclass(frozen=True)
class DisclosureRow:
    """What the repository reads for one elevator: the posted facts plus the inputs of
    its public status (never shown themselves)."""

    elevator_id: int
    registration_code: str
    district: str
    address: str
    building_type: str
    user_unit: str | None
    safety_officer_name: str | None
    safety_officer_phone: str | None
    company_id: int
    company_name: str
    company_phone: str
    last_maintenance: date | None
    next_maintenance_due: date | None
    inspection_valid_until: date | None
    insurance_expiry: date | None
    grade: str | None
    in_service: bool
    mode: int | None
    rescue_active: bool
    maintenance_active: bool


@dataclass(frozen=True)
class PublicElevator:
    """The fields posted on the page and in the open-data export, nothing more."""

    registration_code: str
    district: str
    address: str
    building_type: str
    user_unit: str | None
    safety_officer_name: str | None
    safety_officer_phone: str | None
    company_name: str
    company_phone: str
    last_maintenance: date | None
    next_maintenance_due: date | None
    inspection_valid_until: date | None
    insured: bool
    grade: str | None
    status: PublicStatus
    hotline: str = HOTLINE


@dataclass(frozen=True)
class CodeRef:
    """A scanned code resolved: the elevator and whether the code is the current one."""

    code: str
    elevator_id: int
    registration_code: str
    current: bool


@dataclass(frozen=True)
class NewReport:
    kind: ReportKind
    category: str
    description: str
    phone: str
    source: str


@dataclass(frozen=True)
class ReportReceipt:
    token: str
    kind: ReportKind
    case_id: int | None
    ticket_id: int | None
    stale_code: bool


@dataclass(frozen=True)
class RescueView:
    """A rescue case as its reporter may follow it (no names, no positions)."""

    state: str
    reported_at: datetime
    accepted_at: datetime | None
    eta_at: datetime | None
    arrived_at: datetime | None
    released_at: datetime | None


@dataclass(frozen=True)
class Ticket:
    id: int
    elevator_id: int
    registration_code: str
    district: str
    company_id: int
    kind: str
    category: str
    description: str
    opened_at: datetime
    due_at: datetime
    state: str
    reports: int
    answer: str
    answered_at: datetime | None
    answered_by: str


@dataclass(frozen=True)
class ReportProgress:
    kind: str
    category: str
    reported_at: datetime
    registration_code: str
    stale_code: bool
    dismissed: bool
    rescue: RescueView | None
    ticket_state: str | None
    ticket_due_at: datetime | None
    answer: str
    answered_at: datetime | None


@dataclass(frozen=True)
class SourceSummary:
    """A client address as the desk sees it: how much it reported, and where."""

    source: str
    reports: int
    entrapments: int
    elevators: int
    dismissed: int
    first_at: datetime
    last_at: datetime
    blocked: bool


@dataclass(frozen=True)
class SourceReport:
    id: int
    source: str
    elevator_id: int
    registration_code: str
    kind: str
    category: str
    stale_code: bool
    reported_at: datetime
    case_id: int | None
    ticket_id: int | None
    dismissed: bool


@dataclass(frozen=True)
class ReportCount:
    district: str
    kind: str
    reports: int
    dismissed: int


@dataclass(frozen=True)
class StickerRow:
    """What a printed sticker carries."""

    elevator_id: int
    registration_code: str
    district: str
    address: str
    company_phone: str
    code: str
