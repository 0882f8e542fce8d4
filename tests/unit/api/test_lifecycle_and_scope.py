"""The alarm lifecycle table, role scopes, live-event visibility, pagination limits."""

from __future__ import annotations

import pytest

from accounts.repository import InvalidAccount, check_scope
from alarms.errors import AlarmTransitionRefused
from api.deps import NO_COMPANY, company_scope
from api.live import visible_to
from api.security import Principal, Role
from domain.alarm_lifecycle import ACTIVE, AlarmAction, AlarmState, allowed_actions, next_state


def test_happy_path_through_the_lifecycle() -> None:
    state = AlarmState.OPEN
    for action, expected in (
        (AlarmAction.ACKNOWLEDGE, AlarmState.ACKNOWLEDGED),
        (AlarmAction.START, AlarmState.IN_PROGRESS),
        (AlarmAction.RESOLVE, AlarmState.RESOLVED),
        (AlarmAction.CLOSE, AlarmState.CLOSED),
    ):
        nxt = next_state(state, action)
        assert nxt is expected
        state = nxt


@pytest.mark.parametrize("state", list(AlarmState))
def test_every_state_allows_exactly_its_actions(state: AlarmState) -> None:
    for action in AlarmAction:
        allowed = action in allowed_actions(state)
        assert (next_state(state, action) is not None) == allowed
    if state in ACTIVE:
        assert AlarmAction.MARK_FALSE in allowed_actions(state)
        assert AlarmAction.CLOSE not in allowed_actions(state)
    assert allowed_actions(AlarmState.CLOSED) == []


def test_invalid_transition_message_names_state_and_alternatives() -> None:
    exc = AlarmTransitionRefused(7, AlarmState.RESOLVED, AlarmAction.ACKNOWLEDGE)
    assert str(exc) == "alarm 7 is resolved: cannot acknowledge (allowed: close)"


def test_company_scope() -> None:
    assert company_scope(Principal("s", Role.SUPERVISOR)) is None
    assert company_scope(Principal("c", Role.COMPANY, company_id=4)) == 4
    assert company_scope(Principal("c", Role.COMPANY)) == NO_COMPANY


def test_live_event_visibility() -> None:
    alarm = {"kind": "alarm", "elevator_id": 1}
    offer = {"kind": "offer", "rescuer_id": 5, "elevator_id": 1}
    assert visible_to(Principal("s", Role.SUPERVISOR), alarm, 2)
    assert visible_to(Principal("d", Role.DESK), alarm, 2)
    assert visible_to(Principal("c", Role.COMPANY, company_id=2), alarm, 2)
    assert not visible_to(Principal("c", Role.COMPANY, company_id=3), alarm, 2)
    assert not visible_to(Principal("c", Role.COMPANY, company_id=3), alarm, None)
    assert visible_to(Principal("r", Role.RESCUER, rescuer_id=5), offer, 2)
    assert not visible_to(Principal("r", Role.RESCUER, rescuer_id=6), offer, 2)
    assert not visible_to(Principal("r", Role.RESCUER, rescuer_id=5), alarm, 2)


def test_account_scope_rules() -> None:
    check_scope("company", 1, None)
    check_scope("rescuer", None, 3)
    check_scope("desk", None, None)
    for role, company, rescuer in (
        ("company", None, None),
        ("rescuer", None, None),
        ("desk", 1, None),
        ("admin", None, 2),
        ("root", None, None),
    ):
        with pytest.raises(InvalidAccount):
            check_scope(role, company, rescuer)
