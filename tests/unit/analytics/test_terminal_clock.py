"""Each elevator's timers run on its own terminal's clock: a terminal whose clock is
minutes behind (a lost RTC, no time sync) is not taken for a car standing still."""

from __future__ import annotations

import numpy as np

from analytics.config import DetectionSettings
from analytics.detectors import FleetDetector
from analytics.detectors.model import take_samples
from domain.alarms import AlarmType
from domain.codes import DoorState

from .samples import Rows, at, cols

BEHIND_S = 240.0  # the terminal's clock is 4 minutes behind the runner's
ENT = AlarmType.ENTRAPMENT


def history(until: float) -> Rows:
    return [(float(t), {}) for t in np.arange(0.0, until, 5.0)]


def feed(fleet: FleetDetector, rows: Rows, behind_s: float, elevator_id: int = 1) -> None:
    """One batch per sample, arriving ``behind_s`` after its event time."""
    c = cols(rows, elevator_id)
    for i in range(len(c)):
        one = take_samples(c, np.array([i]))
        arrived = int(one.ts_ms[0]) + round(behind_s * 1000)
        fleet.process_many(np.array([elevator_id], np.int64), one, None, arrived_ms=arrived)


def entrapments(fleet: FleetDetector, now_ms: int) -> list[tuple[int, int]]:
    return [(e.elevator_id, e.at_ms) for e in fleet.tick(now_ms) if e.alarm_type is ENT]


def test_a_terminal_behind_raises_nothing_while_its_car_stops_normally() -> None:
    fleet = FleetDetector(DetectionSettings())
    boarded = [(600.0, {"door": DoorState.OPEN, "passenger": True})]
    boarded += [(603.0, {"door": DoorState.CLOSED})]  # stopped at a landing, doors closed
    feed(fleet, [*history(600.0), *boarded], BEHIND_S)
    # the runner's clock, half a second after the closed-door sample arrived: on the
    # terminal's clock it is 603.5 s, not 843.5 s, so the 30-s timer is far from due
    assert entrapments(fleet, at(603.5 + BEHIND_S)) == []
    feed(fleet, [*history(600.0), *boarded, (606.0, {"door": DoorState.OPENING})][-1:], BEHIND_S)
    assert entrapments(fleet, at(700.0 + BEHIND_S)) == []


def test_a_trapped_passenger_behind_a_late_clock_is_raised_at_t_on_that_clock() -> None:
    fleet = FleetDetector(DetectionSettings())
    rows = [*history(600.0), (600.0, {"door": DoorState.OPEN, "passenger": True})]
    rows += [(603.0, {"door": DoorState.CLOSED, "zone": False})]  # stuck between floors
    feed(fleet, rows, BEHIND_S)
    # a periodic terminal: the car stopped mid-gap, at 601.5 s on its clock
    assert entrapments(fleet, at(631.0 + BEHIND_S)) == []
    assert entrapments(fleet, at(631.6 + BEHIND_S)) == [(1, at(631.5))]
