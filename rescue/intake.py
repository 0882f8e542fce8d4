"""Intake: an entrapment or alarm-button alarm, or a hotline call, becomes a rescue case
(or joins the elevator's open one); a new case is dispatched at once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from domain.alarms import DESK_CONFIRMS, RESCUE_TYPES
from rescue import policy
from rescue.context import DispatchContext
from rescue.errors import CaseContention, InvalidCall, NotFound, NotRescueAlarm
from rescue.model import CaseRef, HotlineCall
from rescue.repository import cases as case_repository

_RESCUE_TYPES = frozenset(kind.value for kind in RESCUE_TYPES)
_DESK_CONFIRMS = frozenset(kind.value for kind in DESK_CONFIRMS)


class _AlreadyLinked(Exception):
    def __init__(self, case_id: int) -> None:
        self.case_id = case_id


class Intake:
    def __init__(self, context: DispatchContext, dispatch: Callable[[int], object]) -> None:
        self.context = context
        self.dispatch = dispatch

    def open_case_for_alarm(
        self, alarm_id: int, actor: str = "terminal", *, confirmed: bool = False
    ) -> CaseRef:
        """Open (or join) the case of an entrapment / alarm-button alarm; idempotent.
        ``confirmed``: the desk confirms a possible entrapment (疑似困人) into a case."""
        try:
            with self.context.transaction():
                ref = self._open_for_alarm(alarm_id, actor, confirmed)
        except _AlreadyLinked as linked:
            return CaseRef(linked.case_id, False)
        if ref.created:
            self.dispatch(ref.case_id)
        return ref

    def _open_for_alarm(self, alarm_id: int, actor: str, confirmed: bool) -> CaseRef:
        conn, clock = self.context.conn, self.context.clock
        alarm = case_repository.get_alarm(conn, alarm_id)
        if alarm is None:
            raise NotFound(f"alarm {alarm_id} does not exist")
        allowed = _RESCUE_TYPES | _DESK_CONFIRMS if confirmed else _RESCUE_TYPES
        if alarm.type not in allowed:
            raise NotRescueAlarm(f"alarm {alarm_id} is {alarm.type}, not a rescue alarm")
        linked = case_repository.alarm_case(conn, alarm_id)
        if linked is not None:
            raise _AlreadyLinked(linked)
        ref = self._open_or_join(
            alarm.elevator_id,
            source=alarm.type,
            alarm_id=alarm_id,
            trapped_since=min(alarm.opened_at, clock()),
            actor=actor,
            detail={"alarm_id": alarm_id, "alarm_type": alarm.type, "alarm_detail": alarm.detail},
        )
        if not case_repository.link_alarm(conn, alarm_id, ref.case_id, not ref.created, clock()):
            raise _AlreadyLinked(case_repository.alarm_case(conn, alarm_id) or ref.case_id)
        return ref

    def open_case_from_call(self, call: HotlineCall, actor: str = "desk") -> CaseRef:
        """A hotline call: opens a case, or joins the elevator's open one."""
        if call.people_trapped < 0 or call.people_trapped > 50:
            raise InvalidCall("people_trapped must be between 0 and 50")
        with self.context.transaction():
            elevator_id = self._called_elevator(call)
            ref = self._open_or_join(
                elevator_id,
                source="hotline",
                alarm_id=None,
                trapped_since=self.context.clock(),
                actor=actor,
                detail={"caller_phone": call.caller_phone, "note": call.note},
                people=call.people_trapped,
                phone=call.caller_phone,
            )
        if ref.created:
            self.dispatch(ref.case_id)
        return ref

    def _called_elevator(self, call: HotlineCall) -> int:
        """The one elevator a call names by code or address."""
        found = case_repository.find_elevators(self.context.conn, call.elevator_code, call.address)
        if not found:
            if not (call.elevator_code or call.address):
                raise InvalidCall("a call must name the elevator by code or address")
            raise NotFound("no elevator matches the call's code or address")
        if len(found) > 1:
            codes = ", ".join(elevator.code for elevator in found)
            raise InvalidCall(f"the address matches several elevators ({codes}): give the code")
        return found[0].id

    def _open_or_join(
        self,
        elevator_id: int,
        *,
        source: str,
        alarm_id: int | None,
        trapped_since: datetime,
        actor: str,
        detail: dict[str, Any],
        people: int = 1,
        phone: str = "",
    ) -> CaseRef:
        context = self.context
        now = context.clock()
        elevator = case_repository.get_elevator(context.conn, elevator_id)
        if elevator is None:
            raise NotFound(f"elevator {elevator_id} does not exist")
        arrival_due = policy.arrival_due(context.settings, now, elevator.district, context.urban)
        for _ in range(3):  # the open case may close between our two statements
            case_id = case_repository.insert_case(
                context.conn,
                elevator_id=elevator_id,
                alarm_id=alarm_id,
                source=source,
                trapped_since=trapped_since,
                reported_at=now,
                arrival_due_at=arrival_due,
                people_trapped=people,
                caller_phone=phone,
            )
            if case_id is not None:
                context.record(context.load(case_id), now, "reported", actor, source=source,
                               **detail)  # fmt: skip
                return CaseRef(case_id, True)
            existing = case_repository.active_case_of_elevator(context.conn, elevator_id)
            if existing is not None:
                case = context.load(existing)
                context.record(case, now, "joined", actor, source=source, **detail)
                return CaseRef(existing, False)
        raise CaseContention(f"could not open a case for elevator {elevator_id}")
