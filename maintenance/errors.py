"""Errors of maintenance plans, work orders, records and scores. Each also inherits a kind
of :mod:`domain.errors`, which ``api/errors.py`` maps to an HTTP status; ``str(error)``
is the message the caller sees."""

from __future__ import annotations

from domain.errors import (
    ConflictError,
    InvalidRequestError,
    LiftwatchError,
    NotFoundError,
    PermissionDeniedError,
)


class MaintenanceError(LiftwatchError):
    """Base error of maintenance plans, work orders, records and scores."""


class ElevatorNotFound(MaintenanceError, NotFoundError):
    """No such elevator, or not one the caller may see."""

    def __init__(self, elevator_id: int) -> None:
        super().__init__(f"elevator {elevator_id} not found")
        self.elevator_id = elevator_id


class CompanyNotFound(MaintenanceError, NotFoundError):
    """A company the caller may not see (its existence is not revealed)."""

    def __init__(self, company_id: int) -> None:
        super().__init__(f"company {company_id} not found")
        self.company_id = company_id


class ScoreNotComputed(MaintenanceError, NotFoundError):
    """The score job has not scored this elevator yet."""

    def __init__(self, elevator_id: int) -> None:
        super().__init__(f"score of elevator {elevator_id} (not computed yet) not found")
        self.elevator_id = elevator_id


class WorkOrderNotFound(MaintenanceError, NotFoundError):
    """No such work order (or not one of the caller's company)."""

    def __init__(self, work_order_id: int) -> None:
        super().__init__(f"work order {work_order_id} not found")
        self.work_order_id = work_order_id


class WorkOrderClosed(MaintenanceError, ConflictError):
    """The work order is already done or cancelled."""

    def __init__(self, work_order_id: int, state: str) -> None:
        super().__init__(f"work order {work_order_id} is {state}")
        self.work_order_id = work_order_id
        self.state = state


class InvalidRecord(MaintenanceError, InvalidRequestError):
    """The completion record is inconsistent (times, items)."""


class CheckinRefused(MaintenanceError, InvalidRequestError):
    """A check-in or check-out whose presence is not proven: no code and no position, a
    position too far from the elevator, or a code of another elevator or a replaced one."""


class ChecklistIncomplete(MaintenanceError, InvalidRequestError):
    """A check-out without every mandatory checklist item ticked (or with unknown ones)."""

    def __init__(self, missing: list[str], unknown: list[str]) -> None:
        parts = []
        if missing:
            parts.append(f"mandatory checklist items not ticked: {', '.join(missing)}")
        if unknown:
            parts.append(f"unknown checklist items: {', '.join(unknown)}")
        super().__init__("; ".join(parts))
        self.missing = missing
        self.unknown = unknown


class CheckinConflict(MaintenanceError, ConflictError):
    """The work order was checked into by someone else, is not checked into yet, or is
    finished already."""


class NotYourCheckin(MaintenanceError, PermissionDeniedError):
    """Only the technician who checked in may check out (his position is the proof)."""
