"""The shapes of alarms as the repository returns them and the service passes them on
(pure: frozen dataclasses, no I/O)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from domain.alarm_lifecycle import ACTIVE, AlarmState, allowed_actions
from domain.alarms import AlarmType


@dataclass(frozen=True)
class RaisedAlarm:
    id: int
    created: bool  # False: an active alarm of this type existed and was updated
    replayed: bool = False  # the alarm with this onset was already recorded: nothing changed


@dataclass(frozen=True)
class RaisedAlarmOf:
    """A row of a set-based raise: which elevator's alarm was opened or updated."""

    id: int
    elevator_id: int
    created: bool


@dataclass(frozen=True)
class ResolvedAlarm:
    id: int
    elevator_id: int


@dataclass(frozen=True)
class AlarmChange:
    """A raise or clear to apply (what a detector emitted).

    A raise is idempotent: an alarm of the same elevator and type whose onset lies within
    ``onset_tolerance`` of ``at`` (exactly ``at`` by default) is the same alarm, and the
    raise changes nothing. A replay after a crash widens the tolerance for the onsets
    that may already have been written (see ``docs/detection.md``, "Crash safety").
    """

    elevator_id: int
    alarm_type: AlarmType
    raised: bool
    at: datetime
    source: str
    detail: dict[str, Any]
    onset_tolerance: timedelta = timedelta(0)


@dataclass(frozen=True)
class AppliedAlarm:
    change: AlarmChange
    alarm_id: int | None  # None: a clear with no active alarm to resolve
    created: bool  # a new alarm was opened (False: updated or resolved)


@dataclass(frozen=True)
class SuppressionWindow:
    elevator_id: int
    starts_at: datetime
    ends_at: datetime
    reason: str


@dataclass(frozen=True)
class AlarmRecord:
    """One alarm with the elevator facts the desk needs (list and detail)."""

    id: int
    elevator_id: int
    elevator_code: str
    district: str
    company_id: int
    type: str
    severity: int
    state: str
    source: str
    opened_at: datetime
    last_seen_at: datetime
    occurrences: int
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    detail: dict[str, Any]

    @property
    def allowed_actions(self) -> list[str]:
        return [action.value for action in allowed_actions(AlarmState(self.state))]


@dataclass(frozen=True)
class AlarmActionRecord:
    """One step of an alarm's trail."""

    at: datetime
    action: str
    from_state: str
    to_state: str
    actor: str
    note: str


@dataclass(frozen=True)
class AlarmDetail:
    alarm: AlarmRecord
    history: list[AlarmActionRecord]


@dataclass(frozen=True)
class LockedAlarm:
    """An alarm's state read for update (the life-cycle step holds the row lock)."""

    state: str
    elevator_id: int
    alarm_type: str


@dataclass(frozen=True)
class AlarmFilter:
    """What the alarm list is narrowed to (None: any)."""

    states: list[str] | None = None
    types: list[str] | None = None
    elevator_id: int | None = None
    district: str | None = None
    company_id: int | None = None
    min_severity: int | None = None
    since: datetime | None = None


def active_only(states: list[str] | None) -> list[str]:
    """The active states among ``states`` (all active states when none are named)."""
    active = [state.value for state in AlarmState if state in ACTIVE]
    return [state for state in (states or active) if state in active]
