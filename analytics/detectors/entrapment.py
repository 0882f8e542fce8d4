"""Entrapment from all the evidence (the default rule; docs/detection.md).

A person seen in the car is in it until the doors open. Evidence is collected over the
*closed-door period* (from the doors closing to the next opening) and kept, whatever the
sensors say later (a still passenger is invisible to a motion sensor; some sensors drop
out when the car stops):

- ``presence_before_stop``: presence reported while the car was running;
- ``presence_at_stop``: presence while the doors were closing, at the first sample of
  the stopped, closed car, or within ``stop_window`` of the stop (presence that first
  appears later in a car that stood at a landing is a glitch: nobody can enter a closed
  car; after a trip it may be a still passenger moving again, believed when held);
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
    DOOR_CYCLED,
    DOOR_SHIFT,
    DOOR_ZONE,
    LOADED,
    NORMAL_SERVICE,
    PASSENGER,
    RAN,
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
EV_CLOSED = 16  # presence inside the closed car, corroborated
EVIDENCE_NAMES = (
    (EV_LOAD, "load"),
    (EV_RUNNING, "presence_before_stop"),
    (EV_STOP, "presence_at_stop"),
    (EV_CLOSED, "presence_in_closed_car"),
    (EV_BUTTON, "alarm_button"),
)
PRESENCE_EVIDENCE = EV_RUNNING | EV_STOP | EV_CLOSED
HELD_MS = 5_000  # presence on two samples this far apart (a glitch is shorter)
RECOVER_MS = 8_000  # a flickering sensor's gap is shorter
REAPPEAR_MS = 12_000  # a still person is invisible longer than a glitch's gaps
_OPEN_DOORS = (DOOR_OPENING, DOOR_OPEN)
DOOR_CYCLE_MS = 6_000  # the shortest door cycle (open, dwell, close)
CLOSING_LEFT_MS = 2_500  # after a sample of the doors closing, they are closed within
MIDPOINT_GAP_MS = 40_000  # a longer gap is a silence: the change is timed at the sample


class EvidenceRules(ElevatorState):
    __slots__ = ()

    def _entrapment_evidence(
        self, ts: int, key: int, floor: int, previous: int, previous_ts: int
    ) -> None:
        """Collect evidence and time the condition (stepped on every change of the
        running, door, presence, load, zone or mode bits, and while timing)."""
        door = (key >> DOOR_SHIFT) & 7
        if door in _OPEN_DOORS:
            self._doors_opened(ts, key)
            return
        if key & (DOOR_CYCLED | RAN):
            self._unseen(ts, key, previous_ts)
        if key & LOADED:
            self._add_evidence(EV_LOAD, ts)
        if key & RUNNING:
            self._running(ts, key)
            return
        if door != DOOR_CLOSED or not key & NORMAL_SERVICE:
            if door == DOOR_CLOSING and key & PASSENGER:
                self._add_evidence(EV_STOP, ts)  # inside as the doors close
            self._disarm()
            return
        if self.closed_since < 0:  # the car has just stopped with the doors closed
            self._stopped_closed(ts, key, floor, previous, previous_ts)
        else:
            self._presence_in_closed_car(ts, key, previous_ts)
        if self._arm(key):
            self._evidence_timer(ts)

    def _disarm(self) -> None:
        self.closed_since = -1
        self.entrapment_since = -1

    def _arm(self, key: int) -> bool:
        """Time the condition (a pending timer) only when it can fire: evidence, a
        possible entrapment, or presence in the closed car that may corroborate."""
        if self.entrapment_since >= 0:
            return True
        if self.closed_since < 0:
            return False
        if self._strong() or self._possible() or (key & PASSENGER and self.evidence_chain >= 0):
            self.entrapment_since = self.closed_since
            return True
        return False

    def _running(self, ts: int, key: int) -> None:
        if not self.evidence_ran:
            self.evidence_ran = True
            last_open = self.evidence_last_open
            self.evidence_carried = last_open >= 0 and ts - last_open <= self.rules.carried_ms
        if key & PASSENGER:
            self._add_evidence(EV_RUNNING, ts)
        self._disarm()

    def _stopped_closed(
        self, ts: int, key: int, floor: int, previous: int, previous_ts: int
    ) -> None:
        """The condition starts: timed from the stop (mid-gap for a periodic terminal;
        soon after a sample of the doors closing)."""
        after = previous_ts
        if key & DOOR_CYCLED and previous_ts >= 0:  # a whole door cycle in the gap
            after = min(ts, previous_ts + DOOR_CYCLE_MS)
        start = ts
        if not self.reports_changes and after >= 0 and ts - after <= MIDPOINT_GAP_MS:
            start = (ts + after) // 2  # the change happened somewhere in the gap
            if not key & (DOOR_CYCLED | RAN) and (previous >> DOOR_SHIFT) & 7 == DOOR_CLOSING:
                start = min(start, previous_ts + CLOSING_LEFT_MS)  # they were closing
        self.closed_since = start
        self.evidence_credible_until = start + self.rules.stop_window_ms
        self.evidence_appeared = -1
        self.evidence_gone = -1
        self.evidence_chain = -1
        self.evidence_chain_late = False
        self.evidence_on_ms = 0
        self.evidence_first = ts
        self.entrapment_in_door_zone = bool(key & DOOR_ZONE)
        self.entrapment_floor = floor
        if key & PASSENGER:
            if self.evidence_had_presence:  # continuous from boarding or the trip
                self._add_evidence(EV_STOP, ts)
            else:  # a lone sample: believed corroborated (below)
                self.evidence_appeared = self.evidence_chain = ts

    def _presence_in_closed_car(self, ts: int, key: int, previous_ts: int) -> None:
        """Presence appearing later in the closed car is believed only when it fits a
        person, not a glitch (nobody can enter a closed car): present from within
        ``RECOVER_MS`` of the stop (or from the sample after it, for a terminal learned to
        report periodically: its samples may be further apart) with gaps shorter than
        that (a flickering sensor; for a periodic terminal, a miss on one sample), at
        least half the time over ``HELD_MS`` or more (after a longer gap, twice that
        from the return, or from its first sighting when first seen later in a car that
        ran right after a door cycle); or appearing again after an absence of
        ``REAPPEAR_MS`` or more (a still person moving again; a glitch's gaps are
        shorter); within the window after the stop."""
        if ts > self.evidence_credible_until:
            return
        if not key & PASSENGER:
            if self.evidence_had_presence and self.evidence_appeared >= 0:
                if not self.evidence & (EV_CLOSED | EV_STOP) and self._held(previous_ts):
                    self._add_evidence(self._held_bit(), self.evidence_chain + self._held_ms())
                self.evidence_gone = ts
                self.evidence_on_ms += ts - self.evidence_appeared
            return
        if self.evidence_had_presence and self.evidence_appeared >= 0:
            return  # the same stretch of presence
        gone = self.evidence_gone
        if gone >= 0 and ts - gone >= REAPPEAR_MS:
            self._add_evidence(EV_CLOSED, ts)
        soon = ts - self.evidence_first <= RECOVER_MS or (
            previous_ts <= self.evidence_first and not self.reports_changes
        )
        if self.evidence_chain < 0 and soon:
            self.evidence_chain = ts  # present soon after the stop (or its next sample)
        elif (self.evidence_chain < 0 and self.evidence_carried) or (
            self.evidence_chain >= 0 and self._long_gap(gone, ts, previous_ts)
        ):
            # first seen late in a car that ran right after a door cycle (a still person
            # moving, a sensor back from a dropout), or seen soon after the stop and then
            # away long: anew, held twice as long to count (_held; a glitch is shorter)
            self.evidence_chain = ts
            self.evidence_chain_late = True
            self.evidence_on_ms = 0
        self.evidence_appeared = ts

    def _long_gap(self, gone: int, ts: int, previous_ts: int) -> bool:
        """Presence was away longer than a flickering sensor's gaps (not one presence).
        Presence missed on one sample only of a periodic or sparse terminal is not (its
        samples are far apart: one miss is a flicker)."""
        if gone < 0 or ts - gone <= RECOVER_MS:
            return False
        return self.reports_changes or previous_ts != gone

    def _add_evidence(self, bit: int, ts: int) -> None:
        if self.evidence & bit:
            return
        was = self.evidence_at >= 0
        self.evidence |= bit
        if not was and self._strong():
            self.evidence_at = ts  # when the evidence became enough

    def _unseen(self, ts: int, key: int, previous_ts: int) -> None:
        """The counters rose since the previous sample: the doors opened (people could
        get out) and/or the car ran, between samples (a sparse terminal)."""
        if key & DOOR_CYCLED:
            self._doors_opened(ts, key)
            self.evidence_last_open = previous_ts if previous_ts >= 0 else ts
            self.evidence_had_presence = False  # the previous sample is before the cycle
        self._disarm()
        if key & RAN and not self.evidence_ran:
            self.evidence_ran = True
            last_open = self.evidence_last_open
            self.evidence_carried = last_open >= 0 and ts - last_open <= self.rules.carried_ms

    def _doors_opened(self, ts: int, key: int) -> None:
        """The doors open: the people can get out; a level car's alarms clear."""
        if not key & RUNNING and key & DOOR_ZONE:
            if self.active_alarms & ENTRAPMENT_ALARM:
                self._emit(ENTRAPMENT, False, ts)  # level with the doors opening: released
            if self.active_alarms & POSSIBLE_ALARM:
                self._emit(POSSIBLE_ENTRAPMENT, False, ts)
        self.evidence = 0
        self.evidence_at = -1
        self.evidence_appeared = -1
        self.evidence_ran = False
        self.evidence_carried = False
        self.evidence_last_open = ts
        self._disarm()

    def _button_evidence(self, ts: int) -> None:
        """An alarm-button press: someone is in the car if its doors are closed."""
        key = self.key
        if key < 0 or (key >> DOOR_SHIFT) & 7 in _OPEN_DOORS:
            return
        self._add_evidence(EV_BUTTON, ts)
        if self._arm(key):
            self._evidence_timer(ts)

    def _evidence_timer(self, now: int) -> None:
        """Fire an entrapment (evidence) or a possible entrapment at its due time."""
        if self.active_alarms & ENTRAPMENT_ALARM:
            return
        since = self.entrapment_since
        if (
            not self.evidence & (EV_CLOSED | EV_STOP)
            and self.key >= 0
            and self.key & PASSENGER
            and self.evidence_gone < self.evidence_appeared  # the stretch followed is on
            and self._held(min(self.last_seen, now))
        ):
            self._add_evidence(self._held_bit(), self.evidence_chain + self._held_ms())
        if self._strong():
            due = since + self.rules.entrapment_ms
            if max(due, self.evidence_at) <= now:
                at = max(due, self.evidence_at)
                if self.active_alarms & POSSIBLE_ALARM:
                    self._emit(POSSIBLE_ENTRAPMENT, False, at)
                self._emit(ENTRAPMENT, True, at, self._detail(self._usable()))
            return
        if self.active_alarms & POSSIBLE_ALARM or not self._possible():
            return
        due = since + self.rules.possible_ms
        if due <= now:
            self._emit(POSSIBLE_ENTRAPMENT, True, due, self._detail(self.evidence, True))

    def _strong(self) -> bool:
        """Evidence enough for an entrapment. A healthy load cell that never read a
        person outweighs the presence sensor."""
        ev = self.evidence
        if not self.presence_trusted:
            ev &= ~PRESENCE_EVIDENCE  # seen since to be stuck on: its presence is void
        if ev & ~PRESENCE_EVIDENCE:
            return True
        return bool(ev) and not self.load_usable

    def _usable(self) -> int:
        return self.evidence if self.presence_trusted else self.evidence & ~PRESENCE_EVIDENCE

    def _held(self, last_on: int) -> bool:
        """Presence from soon after the stop, seen on until ``last_on``, present >= half
        the time, over >= HELD_MS (or, when it went away longer than a flicker and came
        back, over >= 2 HELD_MS from its return: a glitch is shorter)."""
        chain = self.evidence_chain
        if chain < 0 or self.evidence_appeared < 0:
            return False
        span = last_on - chain
        on = self.evidence_on_ms + last_on - self.evidence_appeared
        return span >= self._held_ms() and 2 * on >= span

    def _held_ms(self) -> int:
        return 2 * HELD_MS if self.evidence_chain_late else HELD_MS

    def _held_bit(self) -> int:
        return EV_STOP if self.evidence_chain == self.evidence_first else EV_CLOSED

    def _possible(self) -> bool:
        """No evidence either way: stopped outside the zone after a trip that may have
        carried people, and no healthy load cell to tell the car is empty."""
        return (
            not self.entrapment_in_door_zone
            and self.evidence_ran
            and self.evidence_carried
            and not self.load_usable
        )

    def _detail(self, evidence: int, possible: bool = False) -> dict[str, Any]:
        names = [name for bit, name in EVIDENCE_NAMES if evidence & bit]
        if possible:
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
