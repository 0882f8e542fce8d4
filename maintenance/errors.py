"""Errors of maintenance plans, work orders, records and scores. Each also inherits a kind
of :mod:`domain.errors`, which ``api/errors.py`` maps to an HTTP status. The caller
reads the message in his language: a :class:`~i18n.MessageError`'s catalogue key
(``errors.maintenance.*``), else ``errors.<ClassName>`` around ``str(error)``."""

from __future__ import annotations

from domain.errors import (
    ConflictError,
    InvalidRequestError,
    LiftwatchError,
    NotFoundError,
    PermissionDeniedError,
)
from i18n import MessageError, Term


class MaintenanceError(LiftwatchError):
    """Base error of maintenance plans, work orders, records and scores."""


class ElevatorNotFound(MaintenanceError, NotFoundError, MessageError):
    """No such elevator, or not one the caller may see."""

    def __init__(self, elevator_id: int) -> None:
        super().__init__("errors.maintenance.elevator_not_found", elevator=str(elevator_id))
        self.elevator_id = elevator_id


class CompanyNotFound(MaintenanceError, NotFoundError, MessageError):
    """A company the caller may not see (its existence is not revealed)."""

    def __init__(self, company_id: int) -> None:
        super().__init__("errors.maintenance.company_not_found", company=str(company_id))
        self.company_id = company_id


class ScoreNotComputed(MaintenanceError, NotFoundError, MessageError):
    """The score job has not scored this elevator yet."""

    def __init__(self, elevator_id: int) -> None:
        super().__init__("errors.maintenance.score_not_computed", elevator=str(elevator_id))
        self.elevator_id = elevator_id


class WorkOrderNotFound(MaintenanceError, NotFoundError, MessageError):
    """No such work order (or not one of the caller's company)."""

    def __init__(self, work_order_id: int) -> None:
        super().__init__("errors.maintenance.work_order_not_found", order=str(work_order_id))
        self.work_order_id = work_order_id


class WorkOrderClosed(MaintenanceError, ConflictError, MessageError):
    """The work order is already done or cancelled."""

    def __init__(self, work_order_id: int, state: str) -> None:
        super().__init__(
            "errors.maintenance.work_order_closed",
            order=str(work_order_id),
            state=Term(f"errors.maintenance.order_state.{state}"),
        )
        self.work_order_id = work_order_id
        self.state = state


class InvalidRecord(MaintenanceError, InvalidRequestError):
    """The completion record is inconsistent (times, items)."""


class CheckinRefused(MaintenanceError, InvalidRequestError):
    """A check-in or check-out whose presence is not proven: no code and no position, a
    position too far from the elevator, or a code of another elevator or a replaced one."""


class ChecklistIncomplete(MaintenanceError, InvalidRequestError, MessageError):
    """A check-out without every mandatory checklist item ticked (or with unknown ones)."""

    def __init__(self, missing: list[str], unknown: list[str]) -> None:
        values = {"missing": ", ".join(missing), "unknown": ", ".join(unknown)}
        which = "both" if missing and unknown else "missing" if missing else "unknown"
        kept = values if which == "both" else {which: values[which]}
        super().__init__(f"errors.maintenance.checklist_{which}", **kept)
        self.missing = missing
        self.unknown = unknown


class CheckinConflict(MaintenanceError, ConflictError):
    """The work order was checked into by someone else, is not checked into yet, or is
    finished already."""


class NotYourCheckin(MaintenanceError, PermissionDeniedError):
    """Only the technician who checked in may check out (his position is the proof)."""
