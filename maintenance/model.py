"""The maintenance records as the repositories return them and the services hand them to
the API (frozen dataclasses; one shape per thing). Pure: no I/O here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from maintenance.errors import InvalidRecord

PENDING_STATES = ("open", "in_progress")  # work orders still to do


@dataclass(frozen=True)
class ElevatorScore:
    """An elevator's stored 3+2 score with its explanation."""

    elevator_id: int
    code: str
    company_id: int
    district: str
    computed_at: datetime
    total: float
    grade: str
    baseline: float
    factors: dict[str, float]
    contributions: dict[str, float]
    eligible: bool
    interval_days: int
    reasons: list[dict[str, str]]


@dataclass(frozen=True)
class ScoreSummary:
    """One line of a company's score list."""

    elevator_id: int
    code: str
    district: str
    total: float
    grade: str
    eligible: bool
    interval_days: int
    computed_at: datetime


@dataclass(frozen=True)
class DistributionCell:
    """Elevators of one district and grade."""

    district: str
    grade: str
    elevators: int
    eligible: int
    mean_total: float


@dataclass(frozen=True)
class Distribution:
    elevators: int
    by_grade: dict[str, int]
    by_district: dict[str, dict[str, int]]
    cells: list[DistributionCell]


@dataclass(frozen=True)
class Plan:
    """The plan of one item level of an elevator (overdue: due before the day asked)."""

    level: str
    interval_days: int
    last_done: date | None
    next_due: date
    overdue: bool
    reasons: list[dict[str, str]]
    updated_at: datetime


@dataclass(frozen=True)
class WorkOrder:
    id: int
    elevator_id: int
    company_id: int
    level: str
    due_date: date
    state: str
    created_at: datetime
    reason: str
    done_at: datetime | None
    record_id: int | None


@dataclass(frozen=True)
class MaintenancePlan:
    elevator_id: int
    plans: list[Plan]
    work_orders: list[WorkOrder]


@dataclass(frozen=True)
class Record:
    """A paperless maintenance record."""

    id: int
    elevator_id: int
    company_id: int
    level: str
    technician: str
    started_at: datetime
    ended_at: datetime
    items: list[Any]
    findings: str
    due_date: date | None
    work_order_id: int | None


@dataclass(frozen=True)
class Completion:
    """What the technician reports on completing a work order."""

    technician: str
    started_at: datetime
    ended_at: datetime
    items: list[str]
    findings: str

    def checked(self, now: datetime) -> Completion:
        """This completion with the technician's name trimmed; raises
        :class:`InvalidRecord` when it is inconsistent."""
        if not self.technician.strip():
            raise InvalidRecord("technician must not be empty")
        if self.started_at.tzinfo is None or self.ended_at.tzinfo is None:
            raise InvalidRecord("started_at and ended_at need a time zone")
        if self.ended_at < self.started_at:
            raise InvalidRecord("ended_at is before started_at")
        if self.ended_at > now:
            raise InvalidRecord("ended_at is in the future")
        return Completion(
            self.technician.strip(), self.started_at, self.ended_at, self.items, self.findings
        )

    def check_timely(self, issued_at: datetime, now: datetime, grace: timedelta) -> None:
        """Refuse a back-dated record (:class:`InvalidRecord`): work started before its
        work order was issued, or ended more than ``grace`` before it is recorded."""
        if self.started_at < issued_at:
            raise InvalidRecord(
                f"started_at is before the work order was issued ({issued_at.isoformat()})"
            )
        if self.ended_at < now - grace:
            hours = grace.total_seconds() / 3600
            raise InvalidRecord(f"ended_at is more than {hours:g} h before now: record work"
                                " when it is done")  # fmt: skip


class GroupBy(StrEnum):
    """How the supervisor indicators are grouped."""

    DISTRICT = "district"
    COMPANY = "company"


@dataclass(frozen=True)
class IndicatorCounts:
    """Counts behind the supervisor indicators of one group (or of all)."""

    key: str
    name: str
    elevators: int  # in use
    faults: int
    entrapments: int
    insured: int
    records: int
    with_due: int
    on_time: int
    overdue: int | None  # None: no maintenance plans yet
