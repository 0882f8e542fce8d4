"""The units package's errors; the API maps their kinds to HTTP statuses.

Every message is a key of the server catalogues (``i18n/messages/<lang>/errors.json``,
``errors.units.*``) with its values; the API answers it in the caller's language."""

from __future__ import annotations

from domain.errors import ConflictError, InvalidRequestError, NotFoundError
from i18n import MessageError, Term


class UnitError(MessageError):
    """Base error of user units and their safety records."""


class UnknownUnit(UnitError, NotFoundError):
    def __init__(self, unit_id: int) -> None:
        super().__init__("errors.units.unknown_unit", unit=str(unit_id))
        self.unit_id = unit_id


class UnknownTarget(UnitError, NotFoundError):
    """The elevator or building is not one of the unit's."""


class InvalidCheck(UnitError, InvalidRequestError):
    """The record does not fit its checklist (kind, items, minutes, date)."""

    @classmethod
    def no_checklist(cls, kind: str) -> InvalidCheck:
        return cls("errors.units.no_checklist", kind=Term(f"errors.units.kind.{kind}"))


class AlreadyRecorded(UnitError, ConflictError):
    """This period's record exists already."""

    def __init__(self) -> None:
        super().__init__("errors.units.already_recorded")
