"""Errors of the alarm package (each also of a kind in :mod:`domain.errors`)."""

from __future__ import annotations

from domain.alarm_lifecycle import AlarmAction, AlarmState, allowed_actions
from domain.errors import ConflictError, LiftwatchError, NotFoundError, PermissionDeniedError
from i18n import MessageError, Term


class AlarmError(LiftwatchError):
    """Base of the errors the alarm package raises on purpose."""


class AlarmNotFound(AlarmError, NotFoundError, MessageError):
    """No such alarm, or it belongs to another company's elevator."""

    def __init__(self, alarm_id: int) -> None:
        super().__init__("errors.alarms.not_found", alarm=str(alarm_id))
        self.alarm_id = alarm_id


class AlarmTransitionRefused(AlarmError, ConflictError, MessageError):
    """The action is not allowed from the alarm's current state."""

    def __init__(self, alarm_id: int, state: AlarmState, action: AlarmAction) -> None:
        allowed = sorted(a.value for a in allowed_actions(state))
        super().__init__(
            "errors.alarms.refused" if allowed else "errors.alarms.refused_final",
            alarm=str(alarm_id),
            state=Term(f"errors.alarms.state.{state.value}"),
            action=Term(f"errors.alarms.action.{action.value}"),
            **(
                {"allowed": tuple(Term(f"errors.alarms.action.{a}") for a in allowed)}
                if allowed
                else {}
            ),
        )
        self.alarm_id = alarm_id
        self.state = state
        self.action = action


class OtherCompanyAlarms(AlarmError, PermissionDeniedError, MessageError):
    """A company asked for another company's alarms."""

    def __init__(self, company_id: int) -> None:
        super().__init__("errors.alarms.other_company")
        self.company_id = company_id
