"""The state one elevator's rules keep between samples, its alarm output and its timers.

:class:`ElevatorState` holds every rule's state in one slotted object (full-word names,
``-1`` meaning "not holding" for times), emits :class:`AlarmEvent` s, and fires the
timed rules (entrapment T, stopped outside the door zone, door-open timeout, heartbeat)
from :meth:`ElevatorState.advance`. The rules stepped on each sample live in
:mod:`analytics.detectors.elevator`.
"""

from __future__ import annotations

from typing import Any

from analytics.detectors.health import SensorHealth
from analytics.detectors.model import AlarmEvent, ElevatorSpec
from analytics.detectors.rules import Rules
from domain.alarms import AlarmType

ALARM_BIT: dict[AlarmType, int] = {t: 1 << i for i, t in enumerate(AlarmType)}
"""One bit per alarm type in :attr:`ElevatorState.active_alarms`."""

ENTRAPMENT = AlarmType.ENTRAPMENT
POSSIBLE_ENTRAPMENT = AlarmType.POSSIBLE_ENTRAPMENT
STOPPED_OUTSIDE_DOOR_ZONE = AlarmType.STOPPED_OUTSIDE_DOOR_ZONE
DOOR_OPEN_WHILE_RUNNING = AlarmType.DOOR_OPEN_WHILE_RUNNING
OVERSPEED = AlarmType.OVERSPEED
OVERTRAVEL_TOP = AlarmType.OVERTRAVEL_TOP
OVERTRAVEL_BOTTOM = AlarmType.OVERTRAVEL_BOTTOM
REPEATED_DOOR_CYCLES = AlarmType.REPEATED_DOOR_CYCLES
DOOR_FAILS_TO_OPEN = AlarmType.DOOR_FAILS_TO_OPEN
DOOR_FAILS_TO_CLOSE = AlarmType.DOOR_FAILS_TO_CLOSE
POWER_CUT = AlarmType.POWER_CUT
TERMINAL_OFFLINE = AlarmType.TERMINAL_OFFLINE
ALARM_BUTTON = AlarmType.ALARM_BUTTON

ENTRAPMENT_ALARM = ALARM_BIT[ENTRAPMENT]
POSSIBLE_ALARM = ALARM_BIT[POSSIBLE_ENTRAPMENT]
OUTSIDE_ZONE_ALARM = ALARM_BIT[STOPPED_OUTSIDE_DOOR_ZONE]
DOOR_OPEN_RUNNING_ALARM = ALARM_BIT[DOOR_OPEN_WHILE_RUNNING]
OVERSPEED_ALARM = ALARM_BIT[OVERSPEED]
DOOR_CYCLES_ALARM = ALARM_BIT[REPEATED_DOOR_CYCLES]
FAILS_TO_OPEN_ALARM = ALARM_BIT[DOOR_FAILS_TO_OPEN]
FAILS_TO_CLOSE_ALARM = ALARM_BIT[DOOR_FAILS_TO_CLOSE]
POWER_CUT_ALARM = ALARM_BIT[POWER_CUT]
OFFLINE_ALARM = ALARM_BIT[TERMINAL_OFFLINE]


class ElevatorState:
    """Every rule's state for one elevator; times are event times in ms (-1: none)."""

    __slots__ = (
        "active_alarms",
        "closed_since",
        "closing_reversals",
        "door_cycle_floor",
        "door_cycle_times",
        "door_open_running_samples",
        "door_open_running_since",
        "elevator_id",
        "entrapment_floor",
        "entrapment_in_door_zone",
        "entrapment_since",
        "evidence",
        "evidence_appeared",
        "evidence_at",
        "evidence_carried",
        "evidence_chain",
        "evidence_chain_late",
        "evidence_credible_until",
        "evidence_first",
        "evidence_gone",
        "evidence_had_presence",
        "evidence_last_open",
        "evidence_on_ms",
        "evidence_ran",
        "floor",
        "health",
        "health_learned_to",
        "heartbeat_ms",
        "key",
        "last_button_press",
        "last_cycles",
        "last_runs",
        "last_seen",
        "last_ts",
        "late",
        "load_usable",
        "open_command_at",
        "open_failures",
        "out",
        "outside_zone_since",
        "overspeed_samples",
        "overspeed_tier",
        "presence_accumulated_ms",
        "presence_gap_since",
        "presence_since",
        "presence_trusted",
        "reports_changes",
        "rules",
        "spec",
        "terminal_alarms",
    )

    def __init__(
        self, elevator_id: int, spec: ElevatorSpec, rules: Rules, out: list[AlarmEvent]
    ) -> None:
        self.elevator_id = elevator_id
        self.spec = spec
        self.rules = rules
        self.out = out
        self.heartbeat_ms = self._spec_heartbeat_ms()
        self.active_alarms = 0  # bit per alarm type currently raised (ALARM_BIT)
        self.terminal_alarms = 0  # bit per alarm type raised by a terminal code
        self.key = -1  # the latest sample's key (analytics.detectors.model)
        self.floor = 0
        self.last_ts = -1  # event time of the latest status sample processed
        self.last_cycles = -1  # door-cycle and runs counters of that sample (-1: unknown)
        self.last_runs = -1
        self.last_seen = -1  # event time of the latest message seen (heartbeat)
        self.late = 0  # status samples dropped as not newer than last_ts
        # entrapment: the condition's start, where it started, and the presence record
        # within it (presence gaps shorter than the flicker tolerance are bridged)
        self.entrapment_since = -1
        self.entrapment_in_door_zone = False
        self.entrapment_floor = 0
        self.presence_since = -1  # start of the current present stretch
        self.presence_gap_since = -1  # start of the current presence gap
        self.presence_accumulated_ms = 0  # present time before presence_since
        # entrapment from all the evidence (analytics.detectors.entrapment): what was
        # seen since the doors last opened, whether the car ran since, and whether that
        # trip began right after a door cycle (it may carry people)
        self.closed_since = -1  # the car stopped with closed doors at (evidence rule)
        self.evidence = 0
        self.evidence_at = -1  # when the evidence was complete
        self.evidence_appeared = -1  # presence appeared in the closed car at
        self.evidence_had_presence = False  # presence on the sample before this step
        self.evidence_first = -1  # the first sample of the stopped, closed car
        self.evidence_chain = -1  # presence (with short gaps) since soon after the stop
        self.evidence_chain_late = False  # ... or since its return after a longer gap
        self.evidence_on_ms = 0  # presence time in that chain before the current stretch
        self.evidence_gone = -1  # presence last went away at
        self.evidence_credible_until = -1
        self.evidence_last_open = -1
        self.evidence_ran = False
        self.evidence_carried = False
        self.health = SensorHealth()
        # samples up to this event time are already in a loaded health (-1: none)
        self.health_learned_to = -1
        # the health's verdicts, refreshed once per batch (analytics.detectors.fleet)
        self.presence_trusted = True
        self.load_usable = False
        self.reports_changes = True
        self.outside_zone_since = -1
        self.door_open_running_samples = 0  # consecutive samples (debounce)
        self.door_open_running_since = -1
        self.overspeed_samples = 0  # consecutive samples above tier 1 (debounce)
        self.overspeed_tier = 0  # the highest tier raised in this episode
        self.door_cycle_times: list[int] | None = None  # full openings while parked
        self.door_cycle_floor = 0
        self.closing_reversals = 0  # closing -> opening while parked
        self.open_command_at = -1  # time of the pending open command
        self.open_failures = 0  # consecutive late openings
        self.last_button_press = -(2**62)

    # ---- output -------------------------------------------------------------------
    def _emit(
        self,
        alarm: AlarmType,
        raised: bool,
        at: int,
        detail: dict[str, Any] | None = None,
        source: str = "telemetry",
    ) -> None:
        bit = ALARM_BIT[alarm]
        if raised:
            self.active_alarms |= bit
            if source == "terminal":
                self.terminal_alarms |= bit
        else:
            self.active_alarms &= ~bit
            self.terminal_alarms &= ~bit
        self.out.append(AlarmEvent(self.elevator_id, alarm, raised, at, source, detail or {}))

    def is_active(self, alarm: AlarmType) -> bool:
        return bool(self.active_alarms & ALARM_BIT[alarm])

    # ---- timers -------------------------------------------------------------------
    def pending(self) -> bool:
        """Whether a timer (other than the heartbeat) may fire without a new sample."""
        return (
            self.entrapment_since >= 0 or self.outside_zone_since >= 0 or self.open_command_at >= 0
        )

    def advance(self, now: int) -> None:
        """Fire every timer due at or before ``now`` at its own due time."""
        if self.entrapment_since >= 0:
            if self.rules.evidence:
                self._evidence_timer(now)
            else:
                self._entrapment_timer(now)
        if self.outside_zone_since >= 0 and not self.active_alarms & OUTSIDE_ZONE_ALARM:
            due = self.outside_zone_since + self.rules.outside_zone_ms
            if due <= now:
                self._emit(STOPPED_OUTSIDE_DOOR_ZONE, True, due, {"floor": self.floor})
        if self.open_command_at >= 0:
            due = self.open_command_at + self.rules.door_open_timeout_ms
            if due <= now:
                self._door_open_failed(due)
        if (
            self.last_seen >= 0
            and not self.active_alarms & OFFLINE_ALARM
            and self.last_seen + self.heartbeat_ms < now
        ):
            self.go_offline(self.last_seen + self.heartbeat_ms)

    def _spec_heartbeat_ms(self) -> int:
        return round(self.spec.report_interval_s * self.rules.heartbeat_intervals * 1000)

    def learn_report_interval(self, interval_ms: float) -> None:
        """The heartbeat timeout follows the terminal's learned report interval when
        that is longer than its registered one (a sparse terminal is not offline
        between its samples); never shorter than the registered one's."""
        timeout = self._spec_heartbeat_ms()
        if interval_ms == interval_ms:
            timeout = max(timeout, round(interval_ms * self.rules.heartbeat_intervals))
        self.heartbeat_ms = timeout

    def go_offline(self, at: int) -> None:
        if not self.active_alarms & OFFLINE_ALARM:
            self._emit(TERMINAL_OFFLINE, True, at, {"last_seen_ms": self.last_seen})

    def _evidence_timer(self, now: int) -> None:  # analytics.detectors.entrapment
        raise NotImplementedError

    def _entrapment_timer(self, now: int) -> None:
        if self.presence_gap_since >= 0:
            if self.presence_gap_since + self.rules.flicker_ms <= now:
                self.entrapment_since = -1  # a real absence: the condition ended when it began
            return  # while absent it neither fires nor ends
        if self.active_alarms & ENTRAPMENT_ALARM:
            return
        due = self.entrapment_since + self.rules.entrapment_ms
        if due > now:
            return
        if self.presence_accumulated_ms > 0 and self.rules.presence_share > 0:
            due = self._presence_share_due(due)
            if due > now:
                return
        where = "at_landing" if self.entrapment_in_door_zone else "between_floors"
        self._emit(ENTRAPMENT, True, due, {"where": where, "floor": self.entrapment_floor})

    def _presence_share_due(self, due: int) -> int:
        """The earliest time t >= due at which the sensor's present share of the window,
        (accumulated + t - presence_since) / (t - entrapment_since), reaches
        ``presence_share`` (a bridged gap keeps a share of 1 out of reach)."""
        share = self.rules.presence_share
        if share >= 1.0:
            return 2**62
        start = self.entrapment_since
        t_share = (self.presence_since - self.presence_accumulated_ms - share * start) / (
            1.0 - share
        )
        return max(due, int(t_share + 0.999))

    def _door_open_failed(self, at: int) -> None:
        self.open_command_at = -1
        self.open_failures += 1
        if (
            self.open_failures >= self.rules.door_open_failures
            and not self.active_alarms & FAILS_TO_OPEN_ALARM
        ):
            detail = {"failures": self.open_failures, "floor": self.floor}
            self._emit(DOOR_FAILS_TO_OPEN, True, at, detail)
