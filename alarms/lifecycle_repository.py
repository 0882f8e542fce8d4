"""The alarm lifecycle: which operator actions are allowed from which state.

open → acknowledged → in_progress → resolved → closed, with "false alarm" possible from
any active state and "resolve" allowed without the intermediate steps. Every change is
recorded in ``alarm_actions`` and announced on the live-event channel in the same
transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import psycopg

from domain.errors import ConflictError
from storage.errors import StorageError
from storage.events import anotify


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

# Which timestamp column an action sets (only when still empty).
_STAMP = {
    AlarmAction.ACKNOWLEDGE: "acknowledged_at",
    AlarmAction.START: "acknowledged_at",
    AlarmAction.RESOLVE: "resolved_at",
    AlarmAction.MARK_FALSE: "resolved_at",
    AlarmAction.CLOSE: "closed_at",
}


class InvalidTransition(StorageError, ConflictError):
    """The action is not allowed from the alarm's current state."""

    def __init__(self, alarm_id: int, state: AlarmState, action: AlarmAction) -> None:
        allowed = sorted(a.value for a in allowed_actions(state))
        super().__init__(
            f"alarm {alarm_id} is {state.value}: cannot {action.value}"
            f" (allowed: {', '.join(allowed) or 'none, the alarm is final'})"
        )
        self.alarm_id = alarm_id
        self.state = state
        self.action = action


def next_state(state: AlarmState, action: AlarmAction) -> AlarmState | None:
    """The state ``action`` leads to from ``state``, or None when it is not allowed."""
    sources, target = TRANSITIONS[action]
    return target if state in sources else None


def allowed_actions(state: AlarmState) -> list[AlarmAction]:
    return [a for a, (sources, _) in TRANSITIONS.items() if state in sources]


@dataclass(frozen=True)
class Transitioned:
    alarm_id: int
    elevator_id: int
    alarm_type: str
    from_state: AlarmState
    to_state: AlarmState


async def apply_action(
    conn: psycopg.AsyncConnection[Any],
    alarm_id: int,
    action: AlarmAction,
    actor: str,
    note: str = "",
    company_id: int | None = None,
) -> Transitioned | None:
    """Apply ``action`` to the alarm; None when it does not exist (or, with
    ``company_id``, belongs to another company's elevator). Raises InvalidTransition."""
    async with conn.transaction():
        cur = await conn.execute(
            """SELECT a.state, a.elevator_id, a.type FROM alarms a
               JOIN elevators e ON e.id = a.elevator_id
               WHERE a.id = %s AND (%s::integer IS NULL OR e.company_id = %s)
               FOR UPDATE OF a""",
            (alarm_id, company_id, company_id),
        )
        row = await cur.fetchone()
        if row is None:
            return None
        state = AlarmState(row[0])
        target = next_state(state, action)
        if target is None:
            raise InvalidTransition(alarm_id, state, action)
        stamp = _STAMP[action]
        await conn.execute(
            f"UPDATE alarms SET state = %s, {stamp} = COALESCE({stamp}, now())"  # noqa: S608
            " WHERE id = %s",
            (target.value, alarm_id),
        )
        await conn.execute(
            """INSERT INTO alarm_actions (alarm_id, action, from_state, to_state, actor, note)
               VALUES (%s, %s, %s, %s, %s, %s)""",
            (alarm_id, action.value, state.value, target.value, actor, note),
        )
        await anotify(
            conn,
            "alarm",
            {
                "id": alarm_id,
                "elevator_id": int(row[1]),
                "type": str(row[2]),
                "state": target.value,
                "action": action.value,
                "actor": actor,
            },
        )
    return Transitioned(alarm_id, int(row[1]), str(row[2]), state, target)
