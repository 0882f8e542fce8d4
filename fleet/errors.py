"""Errors of the fleet package: a base error and its specific kinds."""

from __future__ import annotations

from domain.errors import (
    InvalidRequestError,
    LiftwatchError,
    NotFoundError,
    PermissionDeniedError,
    UnavailableError,
)
from i18n import MessageError


class FleetError(LiftwatchError):
    """Base of the errors about the registry (elevators, companies, rescuers) and the map."""


class ElevatorNotFound(FleetError, NotFoundError, MessageError):
    """No such elevator, or one of another company (its existence is not revealed)."""

    def __init__(self, elevator_id: int) -> None:
        super().__init__("errors.fleet.elevator_not_found", elevator=str(elevator_id))
        self.elevator_id = elevator_id


class OtherCompany(FleetError, PermissionDeniedError, MessageError):
    """A company asked for another company's elevators."""

    def __init__(self) -> None:
        super().__init__("errors.fleet.other_company")


class MapQueryError(FleetError, InvalidRequestError):
    """The map request cannot be answered as asked (bad bbox, unknown status)."""


class MapIndexLoading(FleetError, UnavailableError):
    """The in-memory map index is not loaded yet; retrying shortly works."""
