"""The units package's errors; the API maps their kinds to HTTP statuses."""

from __future__ import annotations

from domain.errors import ConflictError, InvalidRequestError, LiftwatchError, NotFoundError


class UnitError(LiftwatchError):
    """Base error of user units and their safety records."""


class UnknownUnit(UnitError, NotFoundError):
    def __init__(self, unit_id: int) -> None:
        super().__init__(f"user unit {unit_id} not found / 未找到该使用单位")
        self.unit_id = unit_id


class UnknownTarget(UnitError, NotFoundError):
    """The elevator or building is not one of the unit's."""


class InvalidCheck(UnitError, InvalidRequestError):
    """The record does not fit its checklist (kind, items, minutes, date)."""


class AlreadyRecorded(UnitError, ConflictError):
    """This period's record exists already."""
