"""Entrapment from all the evidence (the default rule; docs/detection.md).

A person seen in the car is in it until the doors open. Evidence is collected over the
*closed-door period* (from the doors closing to the next opening) and kept, whatever the
sensors say later (a still passenger is invisible to a motion sensor; some sensors drop
out when the car stops):

- ``presence_before_stop``: presence reported while the car was running;
- ``presence_at_stop``: presence while the doors were closing, at the first sample of
  the stopped, closed car, or within ``stop_window`` of the stop (presence that appears
  later in a closed car is a glitch: nobody can enter it);
- ``load``: the car load above the learned empty-car baseline (person's weight);
- ``alarm_button``: the alarm button pressed in the closed car.

Presence counts only from a sensor not learned to be stuck on
(:mod:`analytics.detectors.health`, applied in the sample key). The condition: car
stopped, doors closed, normal service for ``entrapment_ms``, timed from the stop (for a
periodic or sparse terminal: the middle of the gap before the sample that shows it).
With any evidence, an **entrapment** (rescue case automatically). Without, a car
stopped **outside the door zone** after a trip that began right after a door cycle
(it may carry people), when no healthy load cell can tell the car is empty, becomes a
**possible entrapment** (疑似困人) after ``possible_ms``: the desk sees it and may
confirm it into a rescue case. Both carry ``detail.evidence`` (what fired them) and
``detail.sensors`` (the learned sensor health). Both clear when the car is level
with the doors opening.
"""

from __future__ import annotations

from typing import Any

from analytics.detectors.model import (
    DOOR_SHIFT,
    DOOR_ZONE,
    LOADED,
    NORMAL_SERVICE,
    PASSENGER,
    RUNNING,
)
from analytics.detectors.state import (
    ENTRAPMENT,
    ENTRAPMENT_ALARM,
    POSSIBLE_ALARM,
    POSSIBLE_ENTRAPMENT,
    ElevatorState,
)
from domain.codes import DOOR_CLOSED, DOOR_CLOSING, DOOR_OPEN, DOOR_OPENING

EV_RUNNING = 1  # presence while running
EV_STOP = 2  # presence while closing / at the stop
EV_LOAD = 4  # load above the empty baseline
EV_BUTTON = 8  # alarm button in the closed car
EVIDENCE_NAMES = (
    (EV_LOAD, "load"),
    (EV_RUNNING, "presence_before_stop"),
    (EV_STOP, "presence_at_stop"),
    (EV_BUTTON, "alarm_button"),
)
_OPEN_DOORS = (DOOR_OPENING, DOOR_OPEN)


class EvidenceRules(ElevatorState):
    __slots__ = ()

    def _entrapment_evidence(self, ts: int, key: int, floor: int, previous_ts: int) -> None:
        """Collect evidence and time the condition (stepped on every change of the
        running, door, presence, load, zone or mode bits, and while timing)."""
        door = (key >> DOOR_SHIFT) & 7
        if door in _OPEN_DOORS:
            self._doors_opened(ts, key)
            return
        if key & LOADED:
            self.evidence |= EV_LOAD
        if key & RUNNING:
            if not self.evidence_ran:
                self.evidence_ran = True
                last_open = self.evidence_last_open
                self.evidence_carried = last_open >= 0 and ts - last_open <= self.rules.carried_ms
            if key & PASSENGER:
                self.evidence |= EV_RUNNING
            self.entrapment_since = -1
            return
        if door == DOOR_CLOSING:
            if key & PASSENGER:
                self.evidence |= EV_STOP
            self.entrapment_since = -1
            return
        if door != DOOR_CLOSED or not key & NORMAL_SERVICE:
            self.entrapment_since = -1
            return
        if self.entrapment_since < 0:  # the car has just stopped with the doors closed
            start = self.health.change_time(self.rules.health, ts, previous_ts, self.heartbeat_ms)
            self.entrapment_since = start
            # the first sample ever cannot tell when the car stopped: no window
            window = self.rules.stop_window_ms if previous_ts >= 0 else 0
            self.evidence_credible_until = start + window
            self.entrapment_in_door_zone = bool(key & DOOR_ZONE)
            self.entrapment_floor = floor
            if key & PASSENGER:
                self.evidence |= EV_STOP
        elif key & PASSENGER and ts <= self.evidence_credible_until:
            self.evidence |= EV_STOP
        self._evidence_timer(ts)

    def _doors_opened(self, ts: int, key: int) -> None:
        """The doors open: the people can get out; a level car's alarms clear."""
        if not key & RUNNING and key & DOOR_ZONE:
            if self.active_alarms & ENTRAPMENT_ALARM:
                self._emit(ENTRAPMENT, False, ts)  # level with the doors opening: released
            if self.active_alarms & POSSIBLE_ALARM:
                self._emit(POSSIBLE_ENTRAPMENT, False, ts)
        self.evidence = 0
        self.evidence_ran = False
        self.evidence_carried = False
        self.evidence_last_open = ts
        self.entrapment_since = -1

    def _button_evidence(self, ts: int) -> None:
        """An alarm-button press: someone is in the car if its doors are closed."""
        key = self.key
        if key < 0 or (key >> DOOR_SHIFT) & 7 in _OPEN_DOORS:
            return
        self.evidence |= EV_BUTTON
        if self.entrapment_since >= 0:
            self._evidence_timer(ts)

    def _evidence_timer(self, now: int) -> None:
        """Fire an entrapment (evidence) or a possible entrapment at its due time."""
        if self.active_alarms & ENTRAPMENT_ALARM:
            return
        since = self.entrapment_since
        if self.evidence:
            due = since + self.rules.entrapment_ms
            if due <= now:
                at = max(due, self.last_button_press) if self.evidence == EV_BUTTON else due
                if self.active_alarms & POSSIBLE_ALARM:
                    self._emit(POSSIBLE_ENTRAPMENT, False, at)
                self._emit(ENTRAPMENT, True, at, self._detail(self.evidence))
            return
        if self.active_alarms & POSSIBLE_ALARM or not self._possible():
            return
        due = since + self.rules.possible_ms
        if due <= now:
            self._emit(POSSIBLE_ENTRAPMENT, True, due, self._detail(0))

    def _possible(self) -> bool:
        """No evidence either way: stopped outside the zone after a trip that may have
        carried people, and no healthy load cell to tell the car is empty."""
        return (
            not self.entrapment_in_door_zone
            and self.evidence_ran
            and self.evidence_carried
            and self.health.load(self.rules.health) != "ok"
        )

    def _detail(self, evidence: int) -> dict[str, Any]:
        names = [name for bit, name in EVIDENCE_NAMES if evidence & bit]
        if not evidence:
            names.append("trip_after_door_cycle")
        if self.evidence_ran:
            names.append("door_never_opened")
        if not self.entrapment_in_door_zone:
            names.append("outside_door_zone")
        where = "at_landing" if self.entrapment_in_door_zone else "between_floors"
        h = self.health.report(self.rules.health)
        return {
            "where": where,
            "floor": self.entrapment_floor,
            "evidence": names,
            "sensors": {"presence": h.presence, "load": h.load, "reporting": h.reporting},
        }
