"""Fault and look-alike episodes, each with its exact ground truth.

Every episode starts with the car standing at a landing, doors closed, empty, in normal
service, and ends in that state. Ground-truth ``start_ms`` is the first instant the
abnormal telemetry shows (the first sample taken at or after it shows it); ``end_ms``
the first instant it no longer does. docs/simulators.md describes each episode.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from domain.alarms import AlarmType
from domain.codes import DOOR_CLOSED as CLOSED
from domain.codes import DOOR_CLOSING as CLOSING
from domain.codes import DOOR_OPEN as OPEN
from domain.codes import DOOR_OPENING as OPENING
from domain.codes import MODE_INSPECTION as INSPECTION
from domain.codes import MODE_NORMAL as NORMAL
from domain.codes import MODE_OUT_OF_SERVICE as OUT_OF_SERVICE
from domain.codes import EventCode, FaultCode
from domain.groundtruth import GroundTruth, LookAlike
from simulators.journeys import Shaft
from simulators.sampling import RawEvent
from simulators.timeline import (
    DOOR_ZONE_M,
    Car,
)

INSPECTION_SPEED = 0.3  # m/s, inspection/rescue runs


@dataclass
class Episode:
    elevator_id: int
    shaft: Shaft
    labels: npt.NDArray[np.int64]
    rng: np.random.Generator
    duration_s: float  # how long the fault holds (entrapment until rescue, outage, ...)
    p_report: float  # probability that the terminal reports its own code
    events: list[RawEvent] = field(default_factory=list)
    truth: list[GroundTruth] = field(default_factory=list)
    offline: list[tuple[int, int]] = field(default_factory=list)

    def floor(self, car: Car) -> int:
        return int(self.labels[car.landing])

    def record(self, kind: str, start: int, end: int, fault: bool = True, detail: str = "") -> None:
        self.truth.append(GroundTruth(self.elevator_id, str(kind), start, end, fault, detail))

    def report(self, car: Car, ts: int, code: int, end: int | None, detail: str = "") -> None:
        """The terminal's own code (with probability p_report), cleared at ``end``."""
        if self.rng.random() >= self.p_report:
            return
        self.events.append(RawEvent(ts, code, True, self.floor(car), detail))
        if end is not None:
            self.events.append(RawEvent(end, code, False, self.floor(car), detail))

    def u(self, lo: float, hi: float) -> float:
        return float(self.rng.uniform(lo, hi))

    def door_times(self) -> tuple[float, float]:
        op, cl = self.shaft.door_times(self.rng, 1)
        return float(op[0]), float(cl[0])

    def board(self, car: Car) -> None:
        """Doors open, passengers step in, doors close (passenger present from boarding)."""
        op, cl = self.door_times()
        car.stand(op, door=OPENING)
        car.stand(self.u(0.5, 1.5), door=OPEN)
        car.stand(self.u(1.5, 4.0), door=OPEN, pas=True, load=65.0 * (1 + self.rng.poisson(0.5)))
        car.stand(cl, door=CLOSING)
        car.door = CLOSED

    def alight(self, car: Car) -> int:
        """Doors open, passengers leave, doors close; returns when opening starts."""
        op, cl = self.door_times()
        start = car.stand(op, door=OPENING)
        car.stand(self.u(1.0, 3.0), door=OPEN)
        car.stand(self.u(1.0, 3.0), door=OPEN, pas=False)
        car.stand(cl, door=CLOSING)
        car.door = CLOSED
        return start

    def trapped(self, car: Car, hold_s: float) -> None:
        """Stand with passengers for ``hold_s``; the sensor may briefly miss them."""
        end = car.t_ms + round(hold_s * 1000)
        gaps = sorted(self.rng.uniform(5.0, max(6.0, hold_s - 12.0), self.rng.integers(0, 4)))
        for g in gaps:
            at = car.t_ms
            target = end - round((hold_s - g) * 1000)
            if target - at < 1000:
                continue
            car.stand((target - at) / 1000.0, pas=True)
            car.stand(self.u(1.0, 8.0), pas=False)  # false absence < 10 s
            car.pas = True
        car.stand(max(1.0, (end - car.t_ms) / 1000.0), pas=True)

    def maybe_button(self, car_start: int, hold_s: float, floor: int) -> None:
        """A trapped passenger presses the alarm button (event 90) half of the time."""
        if hold_s > 25 and self.rng.random() < 0.5:
            ts = car_start + round(self.u(15.0, min(hold_s - 5.0, 120.0)) * 1000)
            self.events.append(RawEvent(ts, EventCode.ALARM_BUTTON, True, floor, "trapped"))
            self.record(AlarmType.ALARM_BUTTON, ts, ts)

    def technician_levels(self, car: Car, level: float, with_passengers: bool) -> tuple[int, int]:
        """Inspection mode, a slow run to ``level``, doors open, back to normal.

        Returns (inspection start, run start).
        """
        insp = car.stand(self.u(5.0, 20.0), mode=INSPECTION)
        self.events.append(RawEvent(insp, EventCode.INSPECTION, True, self.floor(car)))
        move = car.creep_to(level, INSPECTION_SPEED)
        car.stand(self.u(1.0, 3.0))
        if with_passengers:
            self.alight(car)
        else:
            car.door_cycle(*self.door_times(), self.u(2.0, 5.0))
        back = car.stand(self.u(2.0, 5.0), mode=NORMAL)
        self.events.append(RawEvent(back, EventCode.INSPECTION, False, self.floor(car)))
        self.events.append(RawEvent(back, EventCode.BACK_TO_NORMAL, True, self.floor(car)))
        return insp, move

    def target_landing(self, car: Car, up: bool | None = None) -> int:
        here = car.landing
        n = self.shaft.landings
        if up is None:
            up = here < n - 1 and (here == 0 or self.rng.random() < 0.5)
        return int(self.rng.integers(here + 1, n)) if up else int(self.rng.integers(0, here))

    def between(self, car: Car, lo: int, hi: int) -> float:
        """A stop position between landings lo < hi, clearly outside the door zone."""
        h = self.shaft.height
        a = self.rng.integers(lo, hi)
        return float(a * h + self.u(DOOR_ZONE_M + 0.3, h - DOOR_ZONE_M - 0.3))


def entrapment_at_landing(ep: Episode, car: Car) -> None:
    ep.board(car)
    start = car.t_ms  # doors fully closed with the passengers inside; the car never starts
    ep.trapped(car, ep.duration_s)
    end = car.t_ms
    ep.report(car, start + 30_000, FaultCode.ENTRAPMENT, end, "at_landing")
    ep.maybe_button(start, ep.duration_s, ep.floor(car))
    ep.record(AlarmType.ENTRAPMENT, start, end, detail="at_landing")
    ep.alight(car)  # the rescuer opens the landing door: the truth ends as it starts opening


def entrapment_between_floors(ep: Episode, car: Car) -> None:
    ep.board(car)
    car.stand(ep.u(0.8, 1.5))
    dest = ep.target_landing(car)
    lo, hi = sorted((car.landing, dest))
    stop = ep.between(car, lo, hi)
    car.trip_to(stop)
    start = car.t_ms
    ep.trapped(car, ep.duration_s)
    ep.report(car, start + 30_000, FaultCode.ENTRAPMENT, None, "between_floors")
    ep.report(car, start + 45_000, FaultCode.STOPPED_OUTSIDE_DOOR_ZONE, None)
    ep.maybe_button(start, ep.duration_s, ep.floor(car))
    car.pas = True
    nearest = round(stop / ep.shaft.height) * ep.shaft.height
    insp, _ = ep.technician_levels(car, nearest, with_passengers=True)
    for e in list(ep.events):
        if e.code in (FaultCode.ENTRAPMENT, FaultCode.STOPPED_OUTSIDE_DOOR_ZONE) and e.active:
            ep.events.append(RawEvent(insp, e.code, False, e.floor, e.detail))
    ep.record(AlarmType.ENTRAPMENT, start, insp, detail="between_floors")
    ep.record(AlarmType.STOPPED_OUTSIDE_DOOR_ZONE, start, insp)


def stopped_outside_door_zone(ep: Episode, car: Car) -> None:
    dest = ep.target_landing(car)
    lo, hi = sorted((car.landing, dest))
    stop = ep.between(car, lo, hi)
    car.trip_to(stop)
    start = car.stand(ep.duration_s)
    nearest = round(stop / ep.shaft.height) * ep.shaft.height
    insp, _ = ep.technician_levels(car, nearest, with_passengers=False)
    ep.report(car, start + 45_000, FaultCode.STOPPED_OUTSIDE_DOOR_ZONE, insp)
    ep.record(AlarmType.STOPPED_OUTSIDE_DOOR_ZONE, start, insp)


def door_fails_to_open(ep: Episode, car: Car) -> None:
    dest = ep.target_landing(car)
    car.trip_to(dest * ep.shaft.height + float(ep.shaft.leveling_m(ep.rng, 1)[0]))
    car.stand(ep.u(0.4, 0.8))
    first = car.t_ms
    attempts = int(ep.rng.integers(3, 5))
    third_fail = first
    for i in range(attempts):
        at = car.stand(ep.u(16.0, 20.0), door=OPENING)  # never reaches fully open
        if i == 2:
            third_fail = at + 15_000
        car.stand(ep.u(2.5, 3.5), door=CLOSING)
        car.stand(ep.u(2.0, 5.0), door=CLOSED)
    op, cl = ep.door_times()
    car.stand(op * 2, door=OPENING)  # finally opens, slowly
    end = car.stand(ep.u(3.0, 6.0), door=OPEN)
    car.stand(cl, door=CLOSING)
    car.door = CLOSED
    ep.report(car, third_fail, FaultCode.DOOR_OPENING_FAULT, end)
    ep.record(AlarmType.DOOR_FAILS_TO_OPEN, first, end)


def door_fails_to_close(ep: Episode, car: Car) -> None:
    op, cl = ep.door_times()
    car.stand(op, door=OPENING)
    car.stand(ep.u(3.0, 6.0), door=OPEN)
    first = car.t_ms
    cycles = int(ep.rng.integers(6, 11))
    fifth = first
    for i in range(cycles):  # closing reverses: an obstruction or a faulty door operator
        car.stand(ep.u(1.0, 2.0), door=CLOSING)
        at = car.stand(ep.u(1.0, 2.0), door=OPENING)
        if i == 4:
            fifth = at
        car.stand(ep.u(2.0, 4.0), door=OPEN)
    end_close = car.stand(cl * 1.5, door=CLOSING)
    end = end_close + round(cl * 1500)
    car.door = CLOSED
    ep.report(car, fifth, FaultCode.DOOR_CLOSING_FAULT, end)
    ep.record(AlarmType.DOOR_FAILS_TO_CLOSE, first, end)
    ep.record(AlarmType.REPEATED_DOOR_CYCLES, first, end)


def door_open_while_running(ep: Episode, car: Car) -> None:
    op, cl = ep.door_times()
    car.stand(op, door=OPENING)
    car.stand(ep.u(2.0, 4.0), door=OPEN)
    up = car.landing < ep.shaft.landings - 1
    drift = ep.u(0.08, 0.15) * (1 if up else -1)
    start = car.creep_to(car.pos + drift, abs(drift) / ep.u(2.0, 3.0), split_s=1.0)
    end = car.stand(ep.u(2.0, 4.0), mode=OUT_OF_SERVICE)  # safety circuit stops it
    ep.report(car, start + 1000, FaultCode.MOVING_WITH_DOOR_OPEN, end)
    ep.events.append(RawEvent(end, EventCode.OUT_OF_SERVICE, True, ep.floor(car)))
    car.stand(cl, door=CLOSING)
    car.stand(ep.duration_s * 20, door=CLOSED)  # out of service until a technician resets
    car.creep_to(car.landing * ep.shaft.height, 0.05)  # and re-levels the car
    back = car.stand(1.0, mode=NORMAL)
    ep.events.append(RawEvent(back, EventCode.BACK_TO_NORMAL, True, ep.floor(car)))
    ep.record(AlarmType.DOOR_OPEN_WHILE_RUNNING, start, end)


def overspeed(ep: Episode, car: Car) -> None:
    h, n = ep.shaft.height, ep.shaft.landings
    up = car.landing < n // 2 or car.landing == 0
    sgn = 1 if up else -1
    factor = ep.u(1.25, 1.45)
    os_s = ep.u(2.0, 3.0)
    v = ep.shaft.rated
    car.creep_to(car.pos + sgn * min(v, h / 3), v)
    start = car.creep_to(car.pos + sgn * v * factor * os_s, v * factor, split_s=1.0)
    end = car.t_ms
    target = (np.ceil(car.pos / h) if up else np.floor(car.pos / h)) * h
    target = float(np.clip(target, 0, (n - 1) * h))
    car.creep_to(target, v / 2)  # the governor/brake brings it to the next landing
    car.stand(ep.u(1.0, 2.0), mode=OUT_OF_SERVICE)
    ep.events.append(RawEvent(car.t_ms, EventCode.OUT_OF_SERVICE, True, ep.floor(car)))
    car.stand(ep.duration_s * 200)
    back = car.stand(1.0, mode=NORMAL)
    ep.events.append(RawEvent(back, EventCode.BACK_TO_NORMAL, True, ep.floor(car)))
    ep.record(AlarmType.OVERSPEED, start, end, detail=f"{factor:.2f}x")


def _overtravel(ep: Episode, car: Car, top: bool) -> None:
    h, n = ep.shaft.height, ep.shaft.landings
    landing = n - 1 if top else 0
    over = ep.u(0.35, 0.9)
    if car.landing == landing:  # leave first, then come back too far
        car.trip_to((n - 2 if top else 1) * h)
        car.stand(ep.u(2.0, 5.0))
    car.trip_to(landing * h + (over if top else -over))
    start = car.stand(ep.duration_s)
    insp, _ = ep.technician_levels(car, landing * h, with_passengers=False)
    code = FaultCode.OVERTRAVEL_TOP if top else FaultCode.OVERTRAVEL_BOTTOM
    ep.report(car, start, code, insp)
    ep.record(AlarmType.OVERTRAVEL_TOP if top else AlarmType.OVERTRAVEL_BOTTOM, start, insp)
    ep.record(AlarmType.STOPPED_OUTSIDE_DOOR_ZONE, start, insp)


def overtravel_top(ep: Episode, car: Car) -> None:
    _overtravel(ep, car, top=True)


def overtravel_bottom(ep: Episode, car: Car) -> None:
    _overtravel(ep, car, top=False)


def power_cut(ep: Episode, car: Car) -> None:
    start = car.stand(ep.duration_s, power=1)
    end = car.stand(ep.u(2.0, 5.0), power=0)
    ep.events.append(RawEvent(start, EventCode.MAIN_POWER_OFF, True, ep.floor(car)))
    ep.events.append(RawEvent(end, EventCode.MAIN_POWER_OFF, False, ep.floor(car)))
    ep.events.append(RawEvent(end, EventCode.BACK_TO_NORMAL, True, ep.floor(car)))
    ep.record(AlarmType.POWER_CUT, start, end)


def alarm_button(ep: Episode, car: Car) -> None:
    ep.board(car)
    press = car.stand(ep.u(1.0, 3.0))
    ep.events.append(RawEvent(press, EventCode.ALARM_BUTTON, True, ep.floor(car), "pressed"))
    ep.record(AlarmType.ALARM_BUTTON, press, press)
    car.trip_to(ep.target_landing(car) * ep.shaft.height)
    car.stand(ep.u(0.4, 0.8))
    ep.alight(car)


def presence_flicker(ep: Episode, car: Car) -> None:
    """False presence in a closed, idle, empty car: blips, or a stuck sensor (35-90 s)."""
    car.stand(ep.u(20.0, 60.0))  # idle first: nobody boarded
    first = car.t_ms
    if ep.rng.random() < 0.5:
        for _ in range(int(ep.rng.integers(1, 5))):
            car.stand(ep.u(0.5, 4.0), pas=True)
            car.stand(ep.u(2.0, 10.0), pas=False)
    else:
        car.stand(ep.u(35.0, 90.0), pas=True)
        if ep.rng.random() < 0.5:
            car.stand(ep.u(1.0, 4.0), pas=False)
            car.stand(ep.u(5.0, 20.0), pas=True)
    last = car.stand(ep.u(5.0, 10.0), pas=False)
    ep.record(LookAlike.PRESENCE_FLICKER, first, last, fault=False)


def long_door_hold(ep: Episode, car: Car) -> None:
    """A passenger keeps the doors open 60-300 s (moving furniture); 0-2 reversals."""
    ep.board(car)
    car.stand(ep.u(0.8, 1.5))
    car.trip_to(ep.target_landing(car) * ep.shaft.height)
    car.stand(ep.u(0.4, 0.8))
    op, cl = ep.door_times()
    car.stand(op, door=OPENING)
    start = car.t_ms
    hold = ep.duration_s
    reversals = int(ep.rng.integers(0, 3))
    for _ in range(reversals):
        car.stand(hold / (reversals + 1), door=OPEN)
        car.stand(ep.u(0.5, 1.0), door=CLOSING)
        car.stand(ep.u(0.5, 1.0), door=OPENING)
    car.stand(hold / (reversals + 1), door=OPEN)
    end = car.stand(ep.u(1.0, 3.0), door=OPEN, pas=False)
    car.stand(cl, door=CLOSING)
    car.door = CLOSED
    ep.record(LookAlike.LONG_DOOR_HOLD, start, end, fault=False)


def inspection(ep: Episode, car: Car) -> None:
    """A maintenance visit: technician inside, inspection mode, slow runs and long stops."""
    ep.board(car)
    start = car.stand(ep.u(2.0, 4.0), mode=INSPECTION)
    ep.events.append(RawEvent(start, EventCode.INSPECTION, True, ep.floor(car)))
    h = ep.shaft.height
    end_at = car.t_ms + round(ep.duration_s * 1000)
    while car.t_ms < end_at:
        car.stand(ep.u(30.0, 240.0))  # doors closed, technician present, stopped
        target = ep.target_landing(car) * h
        if ep.rng.random() < 0.4:  # stop between floors to work on the shaft
            lo, hi = sorted((car.landing, round(target / h)))
            target = ep.between(car, lo, hi)
        car.creep_to(target, INSPECTION_SPEED)
    car.creep_to(car.landing * h, INSPECTION_SPEED)
    car.stand(ep.u(10.0, 30.0))
    end = car.stand(ep.u(1.0, 3.0), mode=NORMAL)
    ep.events.append(RawEvent(end, EventCode.INSPECTION, False, ep.floor(car)))
    ep.events.append(RawEvent(end, EventCode.BACK_TO_NORMAL, True, ep.floor(car)))
    ep.alight(car)
    ep.record(LookAlike.INSPECTION, start, end, fault=False)


EPISODES: dict[str, Callable[[Episode, Car], None]] = {
    "entrapment_at_landing": entrapment_at_landing,
    "entrapment_between_floors": entrapment_between_floors,
    AlarmType.STOPPED_OUTSIDE_DOOR_ZONE: stopped_outside_door_zone,
    AlarmType.DOOR_FAILS_TO_OPEN: door_fails_to_open,
    AlarmType.DOOR_FAILS_TO_CLOSE: door_fails_to_close,
    AlarmType.DOOR_OPEN_WHILE_RUNNING: door_open_while_running,
    AlarmType.OVERSPEED: overspeed,
    AlarmType.OVERTRAVEL_TOP: overtravel_top,
    AlarmType.OVERTRAVEL_BOTTOM: overtravel_bottom,
    AlarmType.POWER_CUT: power_cut,
    AlarmType.ALARM_BUTTON: alarm_button,
    LookAlike.PRESENCE_FLICKER: presence_flicker,
    LookAlike.LONG_DOOR_HOLD: long_door_hold,
    LookAlike.INSPECTION: inspection,
}
