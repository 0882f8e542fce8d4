"""Fault and event codes reported by the terminal (see docs/detection.md).

A code raises the alarm type :data:`domain.alarms.CODE_ALARM` maps it to (``source =
"terminal"``), cross-checked against the elevator's latest telemetry
(``detail.confirmed``); the alarm button is momentary, presses within the merge window
are one. Part of :class:`~analytics.detectors.elevator.ElevatorDetector`.
"""

from __future__ import annotations

from typing import Any

from analytics.detectors.entrapment import EvidenceRules
from analytics.detectors.model import (
    BEYOND_BOTTOM,
    BEYOND_TOP,
    DOOR_NOT_CLOSED_RUNNING,
    DOOR_SHIFT,
    DOOR_ZONE,
    INSPECTION,
    OVERSPEED_1,
    PASSENGER,
    POWER_CUT,
    RUNNING,
)
from analytics.detectors.state import (
    ALARM_BIT,
    ALARM_BUTTON,
    DOOR_OPEN_WHILE_RUNNING,
    ENTRAPMENT,
    OFFLINE_ALARM,
    OVERSPEED,
    OVERTRAVEL_BOTTOM,
    OVERTRAVEL_TOP,
    STOPPED_OUTSIDE_DOOR_ZONE,
    TERMINAL_OFFLINE,
)
from analytics.detectors.state import POWER_CUT as POWER_CUT_TYPE
from domain.alarms import CODE_ALARM, AlarmType
from domain.codes import DOOR_CLOSED, EventCode
from domain.telemetry import EventMessage

# The key bit telling whether the rule of a reported alarm type holds (entrapment and
# stopped outside the zone combine several; the other types have no telemetry channel).
_TELEMETRY_BIT = {
    DOOR_OPEN_WHILE_RUNNING: DOOR_NOT_CLOSED_RUNNING,
    POWER_CUT_TYPE: POWER_CUT,
    OVERSPEED: OVERSPEED_1,
    OVERTRAVEL_TOP: BEYOND_TOP,
    OVERTRAVEL_BOTTOM: BEYOND_BOTTOM,
}
_REPORTED_WHERE = ("at_landing", "between_floors")


class TerminalEvents(EvidenceRules):
    __slots__ = ()

    def event(self, ev: EventMessage) -> None:
        """A fault/event code reported by the terminal (see docs/detection.md)."""
        if ev.ts > self.last_seen:
            self.last_seen = ev.ts
        if self.active_alarms & OFFLINE_ALARM:
            self._emit(TERMINAL_OFFLINE, False, ev.ts)
        if ev.code == EventCode.ALARM_BUTTON:
            self._alarm_button(ev)
            return
        alarm = CODE_ALARM.get(ev.code)
        if alarm is None:
            return
        if ev.active:
            self._reported_raise(alarm, ev)
        else:
            self._reported_clear(alarm, ev)

    def _alarm_button(self, ev: EventMessage) -> None:
        if ev.active and ev.ts - self.last_button_press > self.rules.alarm_button_merge_ms:
            self.last_button_press = ev.ts
            floor = self.floor if ev.floor is None else ev.floor
            self._emit(ALARM_BUTTON, True, ev.ts, {"floor": floor}, "terminal")
        if ev.active and self.rules.evidence:
            self._button_evidence(ev.ts)

    def _reported_clear(self, alarm: AlarmType, ev: EventMessage) -> None:
        """The terminal's clear ends an alarm it raised unless telemetry still shows it."""
        bit = ALARM_BIT[alarm]
        if self.active_alarms & bit and self.terminal_alarms & bit and not self._rule_holds(alarm):
            self._emit(alarm, False, ev.ts, None, "terminal")

    def _reported_raise(self, alarm: AlarmType, ev: EventMessage) -> None:
        if self.active_alarms & ALARM_BIT[alarm]:
            return  # one alarm per elevator and type, whatever the source
        floor = self.floor if ev.floor is None else ev.floor
        detail: dict[str, Any] = {"code": ev.code, "floor": floor}
        if ev.detail:
            detail["terminal_detail"] = ev.detail
        if self.rules.cross_check_codes and self.key >= 0:
            if alarm is ENTRAPMENT and self.key & INSPECTION:
                return  # a technician on the car: no entrapment (documented)
            confirmed = self._rule_holds(alarm)
            if confirmed is not None:
                detail["confirmed"] = confirmed
        if alarm is ENTRAPMENT:
            detail["where"] = self._reported_where(ev)
        self._emit(alarm, True, ev.ts, detail, "terminal")

    def _reported_where(self, ev: EventMessage) -> str:
        """Where a reported entrapment is: the terminal's word, else the door zone."""
        if ev.detail in _REPORTED_WHERE:
            return ev.detail
        in_zone = bool(self.key & DOOR_ZONE) if self.key >= 0 else True
        return "at_landing" if in_zone else "between_floors"

    def _rule_holds(self, alarm: AlarmType) -> bool | None:
        """What telemetry says about a reported fault right now (None: it cannot tell)."""
        key = self.key
        if key < 0:
            return None
        if alarm is ENTRAPMENT:
            closed = (key >> DOOR_SHIFT) & 7 == DOOR_CLOSED
            return bool(not key & RUNNING and closed and (key & PASSENGER or self.evidence))
        if alarm is STOPPED_OUTSIDE_DOOR_ZONE:
            return bool(not key & RUNNING and not key & DOOR_ZONE)
        bit = _TELEMETRY_BIT.get(alarm)
        return None if bit is None else bool(key & bit)
