"""The per-elevator state machine: every rule of the domain notes, one method per rule.

It is stepped only on the samples :func:`analytics.detectors.model.step_mask` selects (a
rule-relevant change, or a sample a debounce counts) and advanced in time by
:meth:`ElevatorState.advance` for timers. Every alarm carries the event time at which
its rule became satisfied (e.g. condition start + T), not the time it was noticed.

:meth:`ElevatorDetector.step` calls a rule only when the bits of the sample key it looks
at changed (or, for the debounced rules, are set), so a step costs a few bit tests and
the rules concerned. The rules' state is :class:`~analytics.detectors.state.ElevatorState`.

Late and out-of-order samples: a status sample whose event time is not newer than the
last one processed is dropped for state (counted in ``late``); ingest sorts each batch
per elevator by event time first, which re-orders within a batch window. Terminal
events are never dropped: they carry alarms of their own (see
:mod:`analytics.detectors.terminal`).
"""

from __future__ import annotations

from analytics.detectors.model import (
    BEYOND_BOTTOM,
    BEYOND_TOP,
    DOOR_CYCLED,
    DOOR_MASK,
    DOOR_NOT_CLOSED_RUNNING,
    DOOR_SHIFT,
    DOOR_ZONE,
    INSPECTION,
    LOADED,
    NORMAL_SERVICE,
    OVERSPEED_1,
    OVERSPEED_2,
    PASSENGER,
    POWER_CUT,
    RAN,
    RUNNING,
)
from analytics.detectors.state import (
    ALARM_BIT,
    DOOR_CYCLES_ALARM,
    DOOR_FAILS_TO_CLOSE,
    DOOR_FAILS_TO_OPEN,
    DOOR_OPEN_RUNNING_ALARM,
    DOOR_OPEN_WHILE_RUNNING,
    ENTRAPMENT,
    ENTRAPMENT_ALARM,
    FAILS_TO_CLOSE_ALARM,
    FAILS_TO_OPEN_ALARM,
    OFFLINE_ALARM,
    OUTSIDE_ZONE_ALARM,
    OVERSPEED,
    OVERSPEED_ALARM,
    OVERTRAVEL_BOTTOM,
    OVERTRAVEL_TOP,
    POWER_CUT_ALARM,
    REPEATED_DOOR_CYCLES,
    STOPPED_OUTSIDE_DOOR_ZONE,
    TERMINAL_OFFLINE,
)
from analytics.detectors.state import POWER_CUT as POWER_CUT_TYPE
from analytics.detectors.terminal import TerminalEvents
from domain.codes import DOOR_CLOSED, DOOR_CLOSING, DOOR_OPEN, DOOR_OPENING

# The entrapment condition: car stopped, doors closed, normal service (+ a passenger).
STOPPED_CLOSED_NORMAL_MASK = RUNNING | DOOR_MASK | NORMAL_SERVICE
STOPPED_CLOSED_NORMAL = (DOOR_CLOSED << DOOR_SHIFT) | NORMAL_SERVICE
TRAPPED_MASK = STOPPED_CLOSED_NORMAL_MASK | PASSENGER
TRAPPED = STOPPED_CLOSED_NORMAL | PASSENGER
PER_SAMPLE = DOOR_NOT_CLOSED_RUNNING | OVERSPEED_1  # bits a debounce counts sample by sample
# The bits the evidence rule of entrapment looks at (the counters' are stepped always).
COUNTED = DOOR_CYCLED | RAN
FORCED = PER_SAMPLE | COUNTED
EVIDENCE_BITS = (
    RUNNING | DOOR_MASK | PASSENGER | LOADED | NORMAL_SERVICE | DOOR_ZONE | INSPECTION | COUNTED
)
_OVERTRAVEL = (
    (BEYOND_TOP, OVERTRAVEL_TOP, ALARM_BIT[OVERTRAVEL_TOP]),
    (BEYOND_BOTTOM, OVERTRAVEL_BOTTOM, ALARM_BIT[OVERTRAVEL_BOTTOM]),
)
DOOR_EPISODE_ALARMS = DOOR_CYCLES_ALARM | FAILS_TO_CLOSE_ALARM  # cleared by closed doors
_OPENING_OR_OPEN = (DOOR_OPENING, DOOR_OPEN)
_CLOSED_OR_CLOSING = (DOOR_CLOSED, DOOR_CLOSING)


def _closed_stopped_normal(key: int) -> bool:
    return key >= 0 and key & STOPPED_CLOSED_NORMAL_MASK == STOPPED_CLOSED_NORMAL


class ElevatorDetector(TerminalEvents):
    """One elevator's rules: :meth:`step` per status sample, :meth:`event` per terminal
    code, :meth:`advance` for timers; alarm events are appended to ``out``."""

    __slots__ = ()

    # ---- samples ------------------------------------------------------------------
    def step(self, ts: int, key: int, floor: int, speed: float, seen: int = -1) -> None:
        """One rule-relevant status sample (in event-time order); ``seen`` is the event
        time of the sample just before it (the skipped, unchanged ones count as seen).

        Each rule is called when the bits of the key it looks at changed (or must be
        counted, or its state is not at rest); otherwise it could change nothing."""
        if ts <= self.last_ts:
            self.late += 1
            return
        previous_ts = seen if seen >= 0 else self.last_ts
        heartbeat = self.heartbeat_ms  # timers pending, a silence, or back online:
        if (
            self.entrapment_since >= 0
            or self.outside_zone_since >= 0
            or self.open_command_at >= 0
            or (self.last_seen + heartbeat < ts and seen + heartbeat < ts)
            or self.active_alarms & OFFLINE_ALARM
        ):
            self._catch_up(ts, seen)
        self.last_ts = ts
        self.last_seen = ts
        previous = self.key
        self.key = key
        self.floor = floor
        changed = key ^ previous if previous >= 0 else -1
        if not changed and not key & FORCED:
            return
        if changed & POWER_CUT:
            self._power_cut(ts, key, floor)
        self._entrapment_step(ts, key, previous, changed, floor, previous_ts)
        if changed & (RUNNING | DOOR_ZONE | INSPECTION) and (
            not key & (RUNNING | DOOR_ZONE)
            or self.outside_zone_since >= 0
            or self.active_alarms & OUTSIDE_ZONE_ALARM
        ):
            self._stopped_outside_door_zone(ts, key)
        if (key | changed) & PER_SAMPLE:
            self._debounced(ts, key, changed, floor, speed)
        if changed & (BEYOND_TOP | BEYOND_BOTTOM):
            self._overtravel(ts, key, floor)
        if (
            changed & (RUNNING | DOOR_MASK)
            or self.open_command_at >= 0
            or self.active_alarms & DOOR_EPISODE_ALARMS
        ):
            self._doors(ts, key, previous, floor)

    def _entrapment_step(
        self, ts: int, key: int, previous: int, changed: int, floor: int, previous_ts: int
    ) -> None:
        """The entrapment rule of the settings, when what it looks at changed."""
        if self.rules.evidence:
            if changed & EVIDENCE_BITS or key & COUNTED or self.entrapment_since >= 0:
                # the first sample ever: what it shows may have been so since before
                self.evidence_had_presence = previous < 0 or bool(previous & PASSENGER)
                self._entrapment_evidence(ts, key, floor, previous, previous_ts)
        elif (
            self.entrapment_since >= 0
            or key & TRAPPED_MASK == TRAPPED
            or self.active_alarms & ENTRAPMENT_ALARM
        ):
            self._entrapment(ts, key, previous, floor)

    def _catch_up(self, ts: int, seen: int) -> None:
        """Fire the timers due before this sample; the terminal is back online."""
        if seen > self.last_seen:
            self.last_seen = seen
        self.advance(ts)
        self.last_ts = ts
        self.last_seen = ts
        if self.active_alarms & OFFLINE_ALARM:
            self._emit(TERMINAL_OFFLINE, False, ts)

    def _debounced(self, ts: int, key: int, changed: int, floor: int, speed: float) -> None:
        """The rules that count consecutive samples."""
        if (key | changed) & DOOR_NOT_CLOSED_RUNNING:
            self._door_open_while_running(ts, key, floor)
        if (key | changed) & OVERSPEED_1:
            self._overspeed(ts, key, speed)

    # ---- power cut ----------------------------------------------------------------
    def _power_cut(self, ts: int, key: int, floor: int) -> None:
        if key & POWER_CUT:
            if not self.active_alarms & POWER_CUT_ALARM:
                self._emit(POWER_CUT_TYPE, True, ts, {"floor": floor})
        elif self.active_alarms & POWER_CUT_ALARM:
            self._emit(POWER_CUT_TYPE, False, ts)

    # ---- entrapment ---------------------------------------------------------------
    def _entrapment(self, ts: int, key: int, previous: int, floor: int) -> None:
        """Passenger present, doors closed, car stopped, normal service, for T (stepped
        while that holds, while the condition is timed or the alarm is raised)."""
        if key & STOPPED_CLOSED_NORMAL_MASK != STOPPED_CLOSED_NORMAL:
            self.entrapment_since = -1
            door = (key >> DOOR_SHIFT) & 7
            if (
                self.active_alarms & ENTRAPMENT_ALARM
                and not key & RUNNING
                and key & DOOR_ZONE
                and door in _OPENING_OR_OPEN
            ):
                self._emit(ENTRAPMENT, False, ts)  # level with the doors opening: released
            return
        if not key & PASSENGER:
            if self.entrapment_since >= 0 and self.presence_gap_since < 0:
                self._presence_gap(ts)
            return
        if self.entrapment_since < 0:
            if self.rules.presence_must_enter and _closed_stopped_normal(previous):
                return  # presence appeared inside a closed car: not believed
            self.entrapment_since = ts  # the passenger stays in the closed car: timing starts
            self.presence_since = ts
            self.presence_accumulated_ms = 0
            self.presence_gap_since = -1
            self.entrapment_in_door_zone = bool(key & DOOR_ZONE)
            self.entrapment_floor = floor
        elif self.presence_gap_since >= 0:
            self.presence_gap_since = -1  # the gap is bridged
            self.presence_since = ts
        if self.entrapment_since >= 0:
            self._entrapment_timer(ts)

    def _presence_gap(self, ts: int) -> None:
        if self.rules.flicker_ms == 0:
            self.entrapment_since = -1
        else:
            self.presence_accumulated_ms += ts - self.presence_since
            self.presence_gap_since = ts

    # ---- stopped outside the door zone --------------------------------------------
    def _stopped_outside_door_zone(self, ts: int, key: int) -> None:
        """Starts the timer (fired by advance); clears when the car moves or levels.
        Stepped when the car stops outside the zone, or the timer or alarm is on."""
        inspection = key & INSPECTION and self.rules.suppress_in_inspection
        if not key & RUNNING and not key & DOOR_ZONE and not inspection:
            if self.outside_zone_since < 0:
                self.outside_zone_since = ts
            return
        self.outside_zone_since = -1
        if self.active_alarms & OUTSIDE_ZONE_ALARM:
            self._emit(STOPPED_OUTSIDE_DOOR_ZONE, False, ts)

    # ---- moving with doors open (debounced) ---------------------------------------
    def _door_open_while_running(self, ts: int, key: int, floor: int) -> None:
        if not key & DOOR_NOT_CLOSED_RUNNING or (
            key & INSPECTION and self.rules.suppress_in_inspection
        ):
            self.door_open_running_samples = 0
            if self.active_alarms & DOOR_OPEN_RUNNING_ALARM:
                self._emit(DOOR_OPEN_WHILE_RUNNING, False, ts)
            return
        self.door_open_running_samples += 1
        if self.door_open_running_samples == 1:
            self.door_open_running_since = ts
        r = self.rules
        if (
            self.door_open_running_samples >= r.door_open_running_samples
            and ts - self.door_open_running_since >= r.door_open_running_ms
            and not self.active_alarms & DOOR_OPEN_RUNNING_ALARM
        ):
            detail = {"floor": floor, "since_ms": self.door_open_running_since}
            self._emit(DOOR_OPEN_WHILE_RUNNING, True, ts, detail)

    # ---- overspeed (two tiers, debounced) -----------------------------------------
    def _overspeed(self, ts: int, key: int, speed: float) -> None:
        if not key & OVERSPEED_1:
            self.overspeed_samples = 0
            self.overspeed_tier = 0
            if self.active_alarms & OVERSPEED_ALARM:
                self._emit(OVERSPEED, False, ts)
            return
        self.overspeed_samples += 1
        tier = 2 if key & OVERSPEED_2 else 1
        if self.overspeed_samples >= self.rules.overspeed_samples and tier > self.overspeed_tier:
            self.overspeed_tier = tier
            detail = {"tier": tier, "speed": round(speed, 3), "rated": self.spec.rated_speed}
            self._emit(OVERSPEED, True, ts, detail)

    # ---- overtravel beyond a terminal landing (冲顶 / 蹲底) ---------------------------
    def _overtravel(self, ts: int, key: int, floor: int) -> None:
        for beyond, alarm, alarm_bit in _OVERTRAVEL:
            if key & beyond:
                if not self.active_alarms & alarm_bit:
                    self._emit(alarm, True, ts, {"floor": floor})
            elif self.active_alarms & alarm_bit:
                self._emit(alarm, False, ts)

    # ---- doors: repeated cycles, fails to close, fails to open --------------------
    def _doors(self, ts: int, key: int, previous: int, floor: int) -> None:
        """Stepped when the car starts or stops, the doors move, an opening is due or a
        door episode's alarm is raised (otherwise nothing here could change)."""
        if key & RUNNING:
            self._car_running(ts)
            return
        door = (key >> DOOR_SHIFT) & 7
        previous_door = (previous >> DOOR_SHIFT) & 7 if previous >= 0 else DOOR_CLOSED
        inspection = key & INSPECTION and self.rules.suppress_in_inspection
        if door == DOOR_OPEN and previous_door != DOOR_OPEN and not inspection:
            self._door_cycle(ts, floor)
        if door in _OPENING_OR_OPEN and previous_door == DOOR_CLOSING and not inspection:
            self._closing_reversed(ts, floor)
        elif door == DOOR_CLOSED:
            self.closing_reversals = 0
            if self.active_alarms & DOOR_EPISODE_ALARMS:
                self._door_episode_over(ts)
        if door == DOOR_OPENING and previous_door in _CLOSED_OR_CLOSING and not inspection:
            if self.open_command_at >= 0:
                self._door_open_failed(ts)  # opening again before fully open
            self.open_command_at = ts  # a full opening is due within the timeout
        elif door == DOOR_OPEN and self.open_command_at >= 0:
            self.open_command_at = -1  # opened in time
            self.open_failures = 0
            if self.active_alarms & FAILS_TO_OPEN_ALARM:
                self._emit(DOOR_FAILS_TO_OPEN, False, ts)

    def _car_running(self, ts: int) -> None:
        """A running car ends the parked door episodes."""
        self.door_cycle_times = None
        self.closing_reversals = 0
        if self.active_alarms & DOOR_CYCLES_ALARM:
            self._emit(REPEATED_DOOR_CYCLES, False, ts)

    def _door_cycle(self, ts: int, floor: int) -> None:
        """A full opening at one floor; too many within the window is an alarm."""
        times = self.door_cycle_times
        if times is None or floor != self.door_cycle_floor:
            times = self.door_cycle_times = []
            self.door_cycle_floor = floor
        times.append(ts)
        while times and times[0] < ts - self.rules.door_cycles_window_ms:
            times.pop(0)
        if len(times) >= self.rules.door_cycles and not self.active_alarms & DOOR_CYCLES_ALARM:
            self._emit(REPEATED_DOOR_CYCLES, True, ts, {"cycles": len(times), "floor": floor})

    def _closing_reversed(self, ts: int, floor: int) -> None:
        self.closing_reversals += 1
        if (
            self.closing_reversals >= self.rules.door_close_reversals
            and not self.active_alarms & FAILS_TO_CLOSE_ALARM
        ):
            detail = {"reversals": self.closing_reversals, "floor": floor}
            self._emit(DOOR_FAILS_TO_CLOSE, True, ts, detail)

    def _door_episode_over(self, ts: int) -> None:
        """The doors finally closed: repeated cycles and failing to close are over."""
        if self.active_alarms & DOOR_CYCLES_ALARM:
            self.door_cycle_times = None
            self._emit(REPEATED_DOOR_CYCLES, False, ts)
        if self.active_alarms & FAILS_TO_CLOSE_ALARM:
            self._emit(DOOR_FAILS_TO_CLOSE, False, ts)
