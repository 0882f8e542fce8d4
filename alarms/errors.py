"""Errors of the alarm package (each also of a kind in :mod:`domain.errors`)."""

from __future__ import annotations

from domain.alarm_lifecycle import AlarmAction, AlarmState, refusal_message
from domain.errors import ConflictError, LiftwatchError, NotFoundError, PermissionDeniedError


class AlarmError(LiftwatchError):
    """Base of the errors the alarm package raises on purpose."""


class AlarmNotFound(AlarmError, NotFoundError):
    """No such alarm, or it belongs to another company's elevator."""

    def __init__(self, alarm_id: int) -> None:
        super().__init__(f"alarm {alarm_id} not found")
        self.alarm_id = alarm_id


class AlarmTransitionRefused(AlarmError, ConflictError):
    """The action is not allowed from the alarm's current state."""

    def __init__(self, alarm_id: int, state: AlarmState, action: AlarmAction) -> None:
        super().__init__(refusal_message(alarm_id, state, action))
        self.alarm_id = alarm_id
        self.state = state
        self.action = action


class OtherCompanyAlarms(AlarmError, PermissionDeniedError):
    """A company asked for another company's alarms."""

    def __init__(self, company_id: int) -> None:
        super().__init__("a company sees only its own alarms")
        self.company_id = company_id
