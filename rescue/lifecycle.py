"""Rescue case states and the transitions between them (pure)."""

from __future__ import annotations

from enum import StrEnum

from rescue.errors import InvalidTransition


class CaseState(StrEnum):
    REPORTED = "reported"
    OFFERED = "offered"
    ACCEPTED = "accepted"
    EN_ROUTE = "en_route"
    ON_SITE = "on_site"
    RELEASED = "released"
    CLOSED = "closed"
    FALSE_ALARM = "false_alarm"
    CANCELLED = "cancelled"


S = CaseState
# Active: an elevator has at most one such case; counted as open work.
ACTIVE: frozenset[CaseState] = frozenset({S.REPORTED, S.OFFERED, S.ACCEPTED, S.EN_ROUTE, S.ON_SITE})
# Assigned: a rescuer holds the case (at most one per rescuer).
ASSIGNED: frozenset[CaseState] = frozenset({S.ACCEPTED, S.EN_ROUTE, S.ON_SITE})
FINAL: frozenset[CaseState] = frozenset({S.CLOSED, S.FALSE_ALARM, S.CANCELLED})
# Not yet decided (no rescuer, no 119 hand-off).
UNDECIDED: frozenset[CaseState] = frozenset({S.REPORTED, S.OFFERED})

TRANSITIONS: dict[CaseState, frozenset[CaseState]] = {
    S.REPORTED: frozenset({S.OFFERED, S.ACCEPTED, S.FALSE_ALARM, S.CANCELLED}),
    S.OFFERED: frozenset({S.OFFERED, S.ACCEPTED, S.FALSE_ALARM, S.CANCELLED}),
    S.ACCEPTED: frozenset({S.EN_ROUTE, S.ON_SITE, S.FALSE_ALARM, S.CANCELLED}),
    S.EN_ROUTE: frozenset({S.ON_SITE, S.FALSE_ALARM, S.CANCELLED}),
    S.ON_SITE: frozenset({S.RELEASED, S.FALSE_ALARM}),
    S.RELEASED: frozenset({S.CLOSED}),
    S.CLOSED: frozenset(),
    S.FALSE_ALARM: frozenset(),
    S.CANCELLED: frozenset(),
}


def can_transition(current: CaseState, wanted: CaseState) -> bool:
    return wanted in TRANSITIONS[current]


def check_transition(case_id: int, current: str, wanted: CaseState) -> CaseState:
    """The validated current state; raises :class:`InvalidTransition` if not allowed."""
    try:
        state = CaseState(current)
    except ValueError:
        raise InvalidTransition(case_id, current, wanted.value) from None
    if not can_transition(state, wanted):
        raise InvalidTransition(case_id, state.value, wanted.value)
    return state
