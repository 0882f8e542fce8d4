"""The alarm life cycle: which operator actions are allowed from which state (pure).

open → acknowledged → in_progress → resolved → closed, with "false alarm" possible from
any active state and "resolve" allowed without the intermediate steps. The alarm
service applies a step and records it; this module only says whether it is allowed.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class AlarmAction(StrEnum):
    ACKNOWLEDGE = "acknowledge"
    START = "start"  # work in progress
    RESOLVE = "resolve"
    CLOSE = "close"
    MARK_FALSE = "mark_false"


class AlarmState(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    CLOSED = "closed"
    FALSE_ALARM = "false_alarm"


ACTIVE = frozenset({AlarmState.OPEN, AlarmState.ACKNOWLEDGED, AlarmState.IN_PROGRESS})

# action -> (states it may start from, state it leads to)
TRANSITIONS: dict[AlarmAction, tuple[frozenset[AlarmState], AlarmState]] = {
    AlarmAction.ACKNOWLEDGE: (frozenset({AlarmState.OPEN}), AlarmState.ACKNOWLEDGED),
    AlarmAction.START: (
        frozenset({AlarmState.OPEN, AlarmState.ACKNOWLEDGED}),
        AlarmState.IN_PROGRESS,
    ),
    AlarmAction.RESOLVE: (ACTIVE, AlarmState.RESOLVED),
    AlarmAction.MARK_FALSE: (ACTIVE, AlarmState.FALSE_ALARM),
    AlarmAction.CLOSE: (
        frozenset({AlarmState.RESOLVED, AlarmState.FALSE_ALARM}),
        AlarmState.CLOSED,
    ),
}


class AlarmMoment(StrEnum):
    """The moment of an alarm an action records (set once, when still empty)."""

    ACKNOWLEDGED = "acknowledged_at"
    RESOLVED = "resolved_at"
    CLOSED = "closed_at"


MOMENT_OF_ACTION: dict[AlarmAction, AlarmMoment] = {
    AlarmAction.ACKNOWLEDGE: AlarmMoment.ACKNOWLEDGED,
    AlarmAction.START: AlarmMoment.ACKNOWLEDGED,
    AlarmAction.RESOLVE: AlarmMoment.RESOLVED,
    AlarmAction.MARK_FALSE: AlarmMoment.RESOLVED,
    AlarmAction.CLOSE: AlarmMoment.CLOSED,
}


def next_state(state: AlarmState, action: AlarmAction) -> AlarmState | None:
    """The state ``action`` leads to from ``state``, or None when it is not allowed."""
    sources, target = TRANSITIONS[action]
    return target if state in sources else None


def allowed_actions(state: AlarmState) -> list[AlarmAction]:
    return [action for action, (sources, _) in TRANSITIONS.items() if state in sources]


def refusal_message(alarm_id: int, state: AlarmState, action: AlarmAction) -> str:
    """Why ``action`` is refused, naming the actions the state allows."""
    allowed = sorted(a.value for a in allowed_actions(state))
    return (
        f"alarm {alarm_id} is {state.value}: cannot {action.value}"
        f" (allowed: {', '.join(allowed) or 'none, the alarm is final'})"
    )


@dataclass(frozen=True)
class Transitioned:
    """A life-cycle step that was applied."""

    alarm_id: int
    elevator_id: int
    alarm_type: str
    from_state: AlarmState
    to_state: AlarmState
