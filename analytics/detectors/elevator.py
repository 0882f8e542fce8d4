"""The per-elevator state machine: every rule of the domain notes in one small object.

It is stepped only on the samples :func:`analytics.detectors.model.step_mask` selects (a
rule-relevant change, or a sample a debounce counts) and advanced in time by
:meth:`ElevatorDetector.advance` for timers. Every alarm carries the event time at
which its rule became satisfied (e.g. condition start + T), not the time it was noticed.

Late and out-of-order samples: a status sample whose event time is not newer than the
last one processed is dropped for state (counted in ``late``); ingest sorts each batch
per elevator by event time first, which re-orders within a batch window. Terminal
events are never dropped: they carry alarms of their own.
"""

from __future__ import annotations

from typing import Any

from analytics.detectors.model import (
    CUT,
    DOOR_NOT_CLOSED_RUNNING,
    INSP,
    NORMAL,
    OT_BOT,
    OT_TOP,
    OVER1,
    OVER2,
    PASS,
    RUN,
    ZONE,
    AlarmEvent,
    ElevatorSpec,
)
from analytics.detectors.rules import Rules
from domain.alarms import CODE_ALARM, AlarmType
from domain.codes import DOOR_CLOSED as CLOSED_ID
from domain.codes import DOOR_CLOSING as CLOSING_ID
from domain.codes import DOOR_OPEN as OPEN_ID
from domain.codes import DOOR_OPENING as OPENING_ID
from domain.codes import EventCode
from domain.telemetry import EventMessage

_BIT = {t: 1 << i for i, t in enumerate(AlarmType)}
ENTRAPMENT = AlarmType.ENTRAPMENT
OUTSIDE = AlarmType.STOPPED_OUTSIDE_DOOR_ZONE
DOWR = AlarmType.DOOR_OPEN_WHILE_RUNNING
OVERSPEED = AlarmType.OVERSPEED
OT_TOP_T = AlarmType.OVERTRAVEL_TOP
OT_BOT_T = AlarmType.OVERTRAVEL_BOTTOM
CYCLES = AlarmType.REPEATED_DOOR_CYCLES
FAILS_OPEN = AlarmType.DOOR_FAILS_TO_OPEN
FAILS_CLOSE = AlarmType.DOOR_FAILS_TO_CLOSE
POWER = AlarmType.POWER_CUT
OFFLINE = AlarmType.TERMINAL_OFFLINE
BUTTON = AlarmType.ALARM_BUTTON
B_ENT, B_OUT, B_DOWR, B_OVER = _BIT[ENTRAPMENT], _BIT[OUTSIDE], _BIT[DOWR], _BIT[OVERSPEED]
B_POWER, B_OFF, B_CYC = _BIT[POWER], _BIT[OFFLINE], _BIT[CYCLES]
B_FOPEN, B_FCLOSE = _BIT[FAILS_OPEN], _BIT[FAILS_CLOSE]
_OVERTRAVEL = ((OT_TOP, OT_TOP_T, _BIT[OT_TOP_T]), (OT_BOT, OT_BOT_T, _BIT[OT_BOT_T]))
_OPENING = (OPENING_ID, OPEN_ID)
_CLOSED_OR_CLOSING = (CLOSED_ID, CLOSING_ID)


def _closed_stopped_normal(key: int) -> bool:
    return key >= 0 and not key & RUN and (key >> 1) & 7 == CLOSED_ID and bool(key & NORMAL)


class ElevatorDetector:
    __slots__ = (
        "active",
        "by_code",
        "cyc",
        "cyc_floor",
        "dowr_n",
        "dowr_since",
        "elevator_id",
        "ent_absent",
        "ent_acc",
        "ent_floor",
        "ent_pres",
        "ent_start",
        "ent_zone",
        "floor",
        "heartbeat_ms",
        "key",
        "last_button",
        "last_seen",
        "last_ts",
        "late",
        "open_cmd",
        "open_fail",
        "out",
        "outside_since",
        "over_n",
        "over_tier",
        "rev",
        "rules",
        "spec",
    )

    def __init__(
        self, elevator_id: int, spec: ElevatorSpec, rules: Rules, out: list[AlarmEvent]
    ) -> None:
        self.elevator_id = elevator_id
        self.spec = spec
        self.rules = rules
        self.out = out
        self.heartbeat_ms = round(spec.report_interval_s * rules.heartbeat_intervals * 1000)
        self.active = 0  # bit per AlarmType currently raised
        self.by_code = 0  # bit per AlarmType raised by a terminal code
        self.key = -1
        self.floor = 0
        self.last_ts = -1
        self.last_seen = -1
        self.late = 0
        self.ent_start = -1  # entrapment condition start (-1: not holding)
        self.ent_absent = -1  # start of the current presence gap within it
        self.ent_pres = -1  # start of the current present stretch
        self.ent_acc = 0  # present time accumulated before ent_pres
        self.ent_zone = False
        self.ent_floor = 0
        self.outside_since = -1
        self.dowr_n = 0
        self.dowr_since = -1
        self.over_n = 0
        self.over_tier = 0
        self.cyc: list[int] | None = None  # door-cycle times while parked
        self.cyc_floor = 0
        self.rev = 0  # door-closing reversals while parked
        self.open_cmd = -1  # time of the pending open command
        self.open_fail = 0
        self.last_button = -(2**62)

    # ---- output -------------------------------------------------------------------
    def _emit(
        self,
        t: AlarmType,
        raised: bool,
        at: int,
        detail: dict[str, Any] | None = None,
        source: str = "telemetry",
    ) -> None:
        bit = _BIT[t]
        if raised:
            self.active |= bit
            if source == "terminal":
                self.by_code |= bit
        else:
            self.active &= ~bit
            self.by_code &= ~bit
        self.out.append(AlarmEvent(self.elevator_id, t, raised, at, source, detail or {}))

    def is_active(self, t: AlarmType) -> bool:
        return bool(self.active & _BIT[t])

    # ---- timers -------------------------------------------------------------------
    def pending(self) -> bool:
        """Whether a timer (other than the heartbeat) may fire without a new sample."""
        return self.ent_start >= 0 or self.outside_since >= 0 or self.open_cmd >= 0

    def advance(self, now: int) -> None:
        """Fire every timer due at or before ``now`` at its own due time."""
        r = self.rules
        if self.ent_start >= 0:
            self._entrapment_timer(now)
        if (
            self.outside_since >= 0
            and not self.active & _BIT[OUTSIDE]
            and self.outside_since + r.outside_zone_ms <= now
        ):
            where = {"floor": self.floor}
            self._emit(OUTSIDE, True, self.outside_since + r.outside_zone_ms, where)
        if self.open_cmd >= 0 and self.open_cmd + r.door_open_timeout_ms <= now:
            self._door_open_failed(self.open_cmd + r.door_open_timeout_ms)
        if (
            self.last_seen >= 0
            and not self.active & _BIT[OFFLINE]
            and self.last_seen + self.heartbeat_ms < now
        ):
            self.go_offline(self.last_seen + self.heartbeat_ms)

    def go_offline(self, at: int) -> None:
        if not self.active & _BIT[OFFLINE]:
            self._emit(OFFLINE, True, at, {"last_seen_ms": self.last_seen})

    def _entrapment_timer(self, now: int) -> None:
        r = self.rules
        if self.ent_absent >= 0:
            if self.ent_absent + r.flicker_ms <= now:
                self.ent_start = -1  # a real absence: the condition ended when it began
            return  # while absent it neither fires nor ends
        if self.active & _BIT[ENTRAPMENT]:
            return
        start = self.ent_start
        due = start + r.entrapment_ms
        if due > now:
            return
        s = r.presence_share
        if s > 0 and self.ent_acc > 0:
            # earliest t >= due with present share (acc + t - pres) / (t - start) >= s
            if s >= 1.0:
                return
            t_share = (self.ent_pres - self.ent_acc - s * start) / (1.0 - s)
            due = max(due, int(t_share + 0.999))
            if due > now:
                return
        where = "at_landing" if self.ent_zone else "between_floors"
        self._emit(ENTRAPMENT, True, due, {"where": where, "floor": self.ent_floor})

    def _door_open_failed(self, at: int) -> None:
        self.open_cmd = -1
        self.open_fail += 1
        if self.open_fail >= self.rules.door_open_failures and not self.active & _BIT[FAILS_OPEN]:
            self._emit(FAILS_OPEN, True, at, {"failures": self.open_fail, "floor": self.floor})

    # ---- samples ------------------------------------------------------------------
    def step(self, ts: int, key: int, floor: int, speed: float, seen: int = -1) -> None:
        """One rule-relevant status sample (in event-time order); ``seen`` is the event
        time of the sample just before it (the skipped, unchanged ones count as seen)."""
        if ts <= self.last_ts:
            self.late += 1
            return
        if seen > self.last_seen:
            self.last_seen = seen
        if (
            self.ent_start >= 0
            or self.outside_since >= 0
            or self.open_cmd >= 0
            or self.last_seen + self.heartbeat_ms < ts
        ):
            self.advance(ts)
        self.last_ts = ts
        self.last_seen = ts
        active = self.active
        if active & B_OFF:
            self._emit(OFFLINE, False, ts)
        prev = self.key
        self.key = key
        self.floor = floor
        changed = key ^ prev if prev >= 0 else -1
        if not changed and not key & (DOOR_NOT_CLOSED_RUNNING | OVER1):
            return
        r = self.rules
        running = key & RUN
        door = (key >> 1) & 7
        insp = bool(key & INSP) and r.suppress_in_inspection

        # power cut
        if changed & CUT:
            if key & CUT:
                if not active & B_POWER:
                    self._emit(POWER, True, ts, {"floor": floor})
            elif active & B_POWER:
                self._emit(POWER, False, ts)

        # entrapment
        if not running and door == CLOSED_ID and key & NORMAL:
            if key & PASS:
                if self.ent_start < 0:
                    if r.presence_must_enter and _closed_stopped_normal(prev):
                        pass  # presence appeared inside a closed car: not believed
                    else:
                        self.ent_start = ts
                        self.ent_pres = ts
                        self.ent_acc = 0
                        self.ent_absent = -1
                        self.ent_zone = bool(key & ZONE)
                        self.ent_floor = floor
                elif self.ent_absent >= 0:
                    self.ent_absent = -1
                    self.ent_pres = ts
                if self.ent_start >= 0:
                    self._entrapment_timer(ts)
            elif self.ent_start >= 0 and self.ent_absent < 0:
                if r.flicker_ms == 0:
                    self.ent_start = -1
                else:
                    self.ent_acc += ts - self.ent_pres
                    self.ent_absent = ts
        else:
            self.ent_start = -1
        if active & B_ENT and not running and key & ZONE and door in _OPENING:
            self._emit(ENTRAPMENT, False, ts)

        # stopped outside the door zone
        if not changed & (RUN | ZONE | INSP):
            pass
        elif not running and not key & ZONE and not insp:
            if self.outside_since < 0:
                self.outside_since = ts
        else:
            self.outside_since = -1
            if active & B_OUT:
                self._emit(OUTSIDE, False, ts)

        # moving with doors open (debounced)
        if not (key | changed) & DOOR_NOT_CLOSED_RUNNING:
            pass
        elif key & DOOR_NOT_CLOSED_RUNNING and not insp:
            self.dowr_n += 1
            if self.dowr_n == 1:
                self.dowr_since = ts
            if (
                self.dowr_n >= r.dowr_samples
                and ts - self.dowr_since >= r.dowr_ms
                and not active & B_DOWR
            ):
                self._emit(DOWR, True, ts, {"floor": floor, "since_ms": self.dowr_since})
        else:
            self.dowr_n = 0
            if active & B_DOWR:
                self._emit(DOWR, False, ts)

        # overspeed (two tiers)
        if not (key | changed) & OVER1:
            pass
        elif key & OVER1:
            self.over_n += 1
            tier = 2 if key & OVER2 else 1
            if self.over_n >= r.overspeed_samples and tier > self.over_tier:
                self.over_tier = tier
                detail = {"tier": tier, "speed": round(speed, 3), "rated": self.spec.rated_speed}
                self._emit(OVERSPEED, True, ts, detail)
        else:
            self.over_n = 0
            self.over_tier = 0
            if active & B_OVER:
                self._emit(OVERSPEED, False, ts)

        # overtravel beyond a terminal landing
        if changed & (OT_TOP | OT_BOT):
            for bit, t, tbit in _OVERTRAVEL:
                if key & bit:
                    if not active & tbit:
                        self._emit(t, True, ts, {"floor": floor})
                elif active & tbit:
                    self._emit(t, False, ts)

        # door cycles while parked, door fails to close / to open
        if running:
            self.cyc = None
            self.rev = 0
            if active & B_CYC:
                self._emit(CYCLES, False, ts)
            return
        prev_door = (prev >> 1) & 7 if prev >= 0 else CLOSED_ID
        if door == OPEN_ID and prev_door != OPEN_ID and not insp:
            self._door_cycle(ts, floor)
        if door in _OPENING and prev_door == CLOSING_ID and not insp:
            self.rev += 1  # closing reversed
            if self.rev >= r.door_close_reversals and not active & B_FCLOSE:
                self._emit(FAILS_CLOSE, True, ts, {"reversals": self.rev, "floor": floor})
        elif door == CLOSED_ID:
            self.rev = 0
            if active & B_CYC:  # the doors finally closed: the episode is over
                self.cyc = None
                self._emit(CYCLES, False, ts)
            if active & B_FCLOSE:
                self._emit(FAILS_CLOSE, False, ts)
        if door == OPENING_ID and prev_door in _CLOSED_OR_CLOSING and not insp:
            if self.open_cmd >= 0:
                self._door_open_failed(ts)
            self.open_cmd = ts
        if door == OPEN_ID and self.open_cmd >= 0:
            self.open_cmd = -1
            self.open_fail = 0
            if active & B_FOPEN:
                self._emit(FAILS_OPEN, False, ts)

    def _door_cycle(self, ts: int, floor: int) -> None:
        r = self.rules
        cyc = self.cyc
        if cyc is None or floor != self.cyc_floor:
            cyc = self.cyc = []
            self.cyc_floor = floor
        cyc.append(ts)
        while cyc and cyc[0] < ts - r.door_cycles_window_ms:
            cyc.pop(0)
        if len(cyc) >= r.door_cycles and not self.active & _BIT[CYCLES]:
            self._emit(CYCLES, True, ts, {"cycles": len(cyc), "floor": floor})

    # ---- terminal events ------------------------------------------------------------
    def event(self, ev: EventMessage) -> None:
        """A fault/event code reported by the terminal (see docs/detection.md)."""
        if ev.ts > self.last_seen:
            self.last_seen = ev.ts
        if self.active & _BIT[OFFLINE]:
            self._emit(OFFLINE, False, ev.ts)
        code = ev.code
        if code == EventCode.ALARM_BUTTON:
            if ev.active and ev.ts - self.last_button > self.rules.alarm_button_merge_ms:
                self.last_button = ev.ts
                floor = self.floor if ev.floor is None else ev.floor
                self._emit(BUTTON, True, ev.ts, {"floor": floor}, "terminal")
            return
        t = CODE_ALARM.get(code)
        if t is None:
            return
        if not ev.active:
            if self.active & _BIT[t] and self.by_code & _BIT[t] and not self._rule_holds(t):
                self._emit(t, False, ev.ts, None, "terminal")
            return
        if self.active & _BIT[t]:
            return
        floor = self.floor if ev.floor is None else ev.floor
        detail: dict[str, Any] = {"code": code, "floor": floor}
        if ev.detail:
            detail["terminal_detail"] = ev.detail
        if self.rules.cross_check_codes and self.key >= 0:
            if t is ENTRAPMENT and self.key & INSP:
                return  # a technician on the car: no entrapment (documented)
            confirmed = self._rule_holds(t)
            if confirmed is not None:
                detail["confirmed"] = confirmed
        if t is ENTRAPMENT:
            zone = bool(self.key & ZONE) if self.key >= 0 else True
            if ev.detail in ("at_landing", "between_floors"):
                detail["where"] = ev.detail
            else:
                detail["where"] = "at_landing" if zone else "between_floors"
        self._emit(t, True, ev.ts, detail, "terminal")

    def _rule_holds(self, t: AlarmType) -> bool | None:
        """What telemetry says about a reported fault right now (None: it cannot tell)."""
        k = self.key
        if k < 0:
            return None
        running = k & RUN
        if t is ENTRAPMENT:
            return bool(not running and (k >> 1) & 7 == CLOSED_ID and k & PASS)
        if t is OUTSIDE:
            return bool(not running and not k & ZONE)
        if t is DOWR:
            return bool(k & DOOR_NOT_CLOSED_RUNNING)
        if t is POWER:
            return bool(k & CUT)
        if t is OVERSPEED:
            return bool(k & OVER1)
        if t is OT_TOP_T:
            return bool(k & OT_TOP)
        if t is OT_BOT_T:
            return bool(k & OT_BOT)
        return None
