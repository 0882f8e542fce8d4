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


# Active: an elevator has at most one such case; counted as open work.
ACTIVE: frozenset[CaseState] = frozenset(
    {
        CaseState.REPORTED,
        CaseState.OFFERED,
        CaseState.ACCEPTED,
        CaseState.EN_ROUTE,
        CaseState.ON_SITE,
    }
)
# Assigned: a rescuer holds the case (at most one per rescuer).
ASSIGNED: frozenset[CaseState] = frozenset(
    {CaseState.ACCEPTED, CaseState.EN_ROUTE, CaseState.ON_SITE}
)
FINAL: frozenset[CaseState] = frozenset(
    {CaseState.CLOSED, CaseState.FALSE_ALARM, CaseState.CANCELLED}
)
# Not yet decided (no rescuer, no 119 hand-off).
UNDECIDED: frozenset[CaseState] = frozenset({CaseState.REPORTED, CaseState.OFFERED})

TRANSITIONS: dict[CaseState, frozenset[CaseState]] = {
    CaseState.REPORTED: frozenset(
        {CaseState.OFFERED, CaseState.ACCEPTED, CaseState.FALSE_ALARM, CaseState.CANCELLED}
    ),
    CaseState.OFFERED: frozenset(
        {CaseState.OFFERED, CaseState.ACCEPTED, CaseState.FALSE_ALARM, CaseState.CANCELLED}
    ),
    CaseState.ACCEPTED: frozenset(
        {CaseState.EN_ROUTE, CaseState.ON_SITE, CaseState.FALSE_ALARM, CaseState.CANCELLED}
    ),
    CaseState.EN_ROUTE: frozenset({CaseState.ON_SITE, CaseState.FALSE_ALARM, CaseState.CANCELLED}),
    CaseState.ON_SITE: frozenset({CaseState.RELEASED, CaseState.FALSE_ALARM}),
    CaseState.RELEASED: frozenset({CaseState.CLOSED}),
    CaseState.CLOSED: frozenset(),
    CaseState.FALSE_ALARM: frozenset(),
    CaseState.CANCELLED: frozenset(),
}


# What a company or rescuer may ask the desk for (only the desk ends a case this way).
END_REQUESTS: frozenset[CaseState] = frozenset({CaseState.FALSE_ALARM, CaseState.CANCELLED})


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
