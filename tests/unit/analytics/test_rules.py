from __future__ import annotations

from typing import Any

from analytics.config import DetectionSettings
from analytics.detectors import AlarmEvent, ElevatorSpec, FleetDetector
from domain.alarms import AlarmType
from domain.codes import CarStatus, DoorState, EventCode, FaultCode, PowerState, ServiceMode
from domain.telemetry import EventMessage

from .samples import T0, Rows, at, cols, concat, periodic

A = AlarmType
RUN: dict[str, Any] = {"car": CarStatus.RUNNING, "zone": False, "speed": 1.0}
STOP: dict[str, Any] = {"car": CarStatus.STOPPED, "zone": True, "speed": 0.0}


def of(events: list[AlarmEvent], t: AlarmType) -> list[tuple[bool, int]]:
    return [(e.raised, e.at_ms) for e in events if e.alarm_type is t]


def ev(t: float, code: int, active: bool = True, **kw: object) -> EventMessage:
    return EventMessage(v=1, seq=0, ts=at(t), code=code, active=active, **kw)  # type: ignore[arg-type]


# ---- stopped outside the door zone ----
def test_stopped_outside_zone_fires_at_45_s_and_clears_on_moving() -> None:
    det = FleetDetector()
    rows = [(0, RUN), (2, {"car": CarStatus.STOPPED, "speed": 0.0}), *periodic(2, 50)]
    rows += [(52, RUN), (55, STOP)]
    out = of(det.process(cols(rows)), A.STOPPED_OUTSIDE_DOOR_ZONE)
    assert out == [(True, at(47)), (False, at(52))]


def test_stopped_outside_zone_not_in_inspection_and_not_before_45_s() -> None:
    det = FleetDetector()
    rows: Rows = [(0, {"car": CarStatus.STOPPED, "zone": False, "mode": ServiceMode.INSPECTION})]
    rows += periodic(0, 100)
    assert of(det.process(cols(rows)), A.STOPPED_OUTSIDE_DOOR_ZONE) == []
    det = FleetDetector()
    rows = [(0.0, {"zone": False}), *periodic(0, 40), (44.9, {"zone": True})]
    assert of(det.process(cols(rows)), A.STOPPED_OUTSIDE_DOOR_ZONE) == []
    naive = FleetDetector(naive=True)
    rows = [(0, {"zone": False, "mode": ServiceMode.INSPECTION}), *periodic(0, 50)]
    assert of(naive.process(cols(rows)), A.STOPPED_OUTSIDE_DOOR_ZONE) == [(True, at(45))]


# ---- moving with doors open ----
def test_single_glitched_door_sample_while_running_is_no_alarm() -> None:
    det = FleetDetector()
    rows = [(0, RUN), (1, {"door": DoorState.NO_SIGNAL}), (1.2, {"door": DoorState.CLOSED})]
    rows += [(3, STOP)]
    assert of(det.process(cols(rows)), A.DOOR_OPEN_WHILE_RUNNING) == []
    naive = FleetDetector(naive=True)
    assert of(naive.process(cols(rows)), A.DOOR_OPEN_WHILE_RUNNING) == [
        (True, at(1)),
        (False, at(1.2)),
    ]


def test_sustained_moving_with_doors_open_fires_on_the_second_sample() -> None:
    det = FleetDetector()
    rows = [(0, RUN), (1, {"door": DoorState.OPEN}), (2, {"floor": 4}), (3, {"floor": 5})]
    rows += [(4, {**STOP})]
    assert of(det.process(cols(rows)), A.DOOR_OPEN_WHILE_RUNNING) == [
        (True, at(2)),
        (False, at(4)),
    ]


# ---- overspeed ----
def test_overspeed_tiers_against_rated_speed() -> None:
    det = FleetDetector(specs={1: ElevatorSpec(rated_speed=2.0)})
    rows = [(0, RUN), (1, {"speed": 2.3}), (2, {"speed": 2.5}), (3, {"speed": 2.9})]
    rows += [(4, {"speed": 1.9})]
    out = [e for e in det.process(cols(rows)) if e.alarm_type is A.OVERSPEED]
    # 2.3 <= 1.2 x 2.0: nothing; 2.5: tier 1; 2.9 > 2.8: tier 2 (an update); 1.9: clear
    assert [(e.raised, e.at_ms, e.detail.get("tier")) for e in out] == [
        (True, at(2), 1),
        (True, at(3), 2),
        (False, at(4), None),
    ]


def test_overspeed_uses_each_elevators_rated_speed() -> None:
    det = FleetDetector(specs={1: ElevatorSpec(rated_speed=1.0), 2: ElevatorSpec(rated_speed=4.0)})
    rows = [(0, RUN), (1, {"speed": 2.5})]
    assert of(det.process(cols(rows, 1)), A.OVERSPEED) == [(True, at(1))]
    assert of(det.process(cols(rows, 2)), A.OVERSPEED) == []


# ---- overtravel ----
def test_overtravel_top_and_bottom() -> None:
    det = FleetDetector(specs={1: ElevatorSpec(top_floor=10, bottom_floor=-2)})
    rows = [(0, {**RUN, "floor": 10}), (1, {"floor": 11}), (3, {**STOP, "floor": 10})]
    rows += [(9, {**RUN, "floor": -2}), (10, {"floor": -3}), (12, {**STOP, "floor": -2})]
    out = det.process(cols(rows))
    assert of(out, A.OVERTRAVEL_TOP) == [(True, at(1)), (False, at(3))]
    assert of(out, A.OVERTRAVEL_BOTTOM) == [(True, at(10)), (False, at(12))]


# ---- repeated door cycles ----
def door_cycles(n: int, start: float = 0.0, every: float = 8.0) -> Rows:
    rows: Rows = []
    for i in range(n):
        t = start + i * every
        rows += [(t, {"door": DoorState.OPENING}), (t + 2, {"door": DoorState.OPEN})]
        rows += [(t + 4, {"door": DoorState.CLOSING}), (t + 6, {"door": DoorState.CLOSED})]
    return rows


def test_five_door_cycles_at_one_floor_while_parked() -> None:
    det = FleetDetector()
    out = of(det.process(cols(door_cycles(4))), A.REPEATED_DOOR_CYCLES)
    assert out == []
    out = of(det.process(cols(door_cycles(1, start=40))), A.REPEATED_DOOR_CYCLES)
    # the fifth time the doors are fully open; cleared when they close again
    assert out == [(True, at(42)), (False, at(46))]
    out = of(det.process(cols(door_cycles(4, start=50))), A.REPEATED_DOOR_CYCLES)
    assert out == []  # counting restarted after the alarm


def test_door_cycles_reset_by_a_trip_and_outside_the_window() -> None:
    det = FleetDetector()
    rows = [*door_cycles(3), (30, RUN), (35, STOP), *door_cycles(3, start=40)]
    assert of(det.process(cols(rows)), A.REPEATED_DOOR_CYCLES) == []
    det = FleetDetector(DetectionSettings(door_cycles_window_s=30))
    assert of(det.process(cols(door_cycles(6, every=10))), A.REPEATED_DOOR_CYCLES) == []


def test_door_cycles_in_inspection_do_not_count() -> None:
    det = FleetDetector()
    rows = [(0, {"mode": ServiceMode.INSPECTION}), *door_cycles(6, start=1)]
    assert of(det.process(cols(rows)), A.REPEATED_DOOR_CYCLES) == []


# ---- door fails to open ----
def stuck_open(t: float) -> Rows:
    return [(t, {"door": DoorState.OPENING}), (t + 20, {"door": DoorState.CLOSED})]


def test_door_fails_to_open_three_times() -> None:
    det = FleetDetector()
    rows = [*stuck_open(0), *stuck_open(30)]
    assert of(det.process(cols(rows)), A.DOOR_FAILS_TO_OPEN) == []
    out = det.process(cols(stuck_open(60)))
    assert of(out, A.DOOR_FAILS_TO_OPEN) == [(True, at(75))]  # 15 s after the 3rd command
    rows = [(100, {"door": DoorState.OPENING}), (103, {"door": DoorState.OPEN})]
    assert of(det.process(cols(rows)), A.DOOR_FAILS_TO_OPEN) == [(False, at(103))]


def test_door_fails_to_open_on_tick_and_success_resets_the_count() -> None:
    det = FleetDetector()
    rows = [*stuck_open(0), *stuck_open(30)]
    rows += [(60, {"door": DoorState.OPENING}), (62, {"door": DoorState.OPEN})]
    rows += [(64, {"door": DoorState.CLOSED}), *stuck_open(70), (95, {"door": DoorState.OPENING})]
    assert of(det.process(cols(rows)), A.DOOR_FAILS_TO_OPEN) == []
    assert of(det.tick(at(109.9)), A.DOOR_FAILS_TO_OPEN) == []
    # success at 62 reset the count: failures at 85 and 110 make two, still no alarm
    assert of(det.tick(at(110)), A.DOOR_FAILS_TO_OPEN) == []


# ---- power cut, offline, alarm button, terminal codes ----
def test_power_cut_raises_and_clears() -> None:
    det = FleetDetector()
    rows = [(0, {}), (5, {"power": PowerState.CUT}), (10, {}), (60, {"power": PowerState.NORMAL})]
    assert of(det.process(cols(rows)), A.POWER_CUT) == [(True, at(5)), (False, at(60))]


def test_terminal_offline_after_heartbeat_timeout_and_back() -> None:
    det = FleetDetector(specs={1: ElevatorSpec(report_interval_s=5)})
    rows: Rows = [(0, {}), (5, {}), (10, {}), (40, {}), (45, {})]
    out = of(det.process(cols(rows)), A.TERMINAL_OFFLINE)
    assert out == [(True, at(25)), (False, at(40))]
    assert of(det.tick(at(59.9)), A.TERMINAL_OFFLINE) == []
    assert of(det.tick(at(60.1)), A.TERMINAL_OFFLINE) == [(True, at(60))]


def test_a_sparse_terminal_is_not_offline_between_its_samples() -> None:
    """Registered at 5 s, it reports every 16-20 s: once its interval is learned (20
    regular gaps) the heartbeat timeout follows it (3 x the learned interval), so it
    stops flapping offline; a real silence still raises the alarm."""
    det = FleetDetector(specs={1: ElevatorSpec(report_interval_s=5)})
    times = [0.0]
    for i in range(60):
        times.append(times[-1] + (16.0 if i % 2 else 20.0))
    out: list[AlarmEvent] = []
    for lo in range(0, len(times), 4):  # batches of 4 samples, as they arrive
        out += det.process(cols([(t, {}) for t in times[lo : lo + 4]]))
    raised_at = [t for raised, t in of(out, A.TERMINAL_OFFLINE) if raised]
    assert raised_at, "before the interval is learned, the registered 5 s rules"
    assert max(raised_at) < at(times[25])  # ... and then no more
    assert det.health(1) is not None
    last = times[-1]
    learned = det.detectors[1].heartbeat_ms
    assert 3 * 16_000 <= learned <= 3 * 20_000
    assert of(det.tick(at(last) + learned - 1), A.TERMINAL_OFFLINE) == []
    assert of(det.tick(at(last) + learned + 1), A.TERMINAL_OFFLINE) == [(True, at(last) + learned)]
    # never shorter than the registered interval's: a 1-s terminal keeps 15 s
    fast = FleetDetector(specs={1: ElevatorSpec(report_interval_s=5)})
    fast.process(cols([(float(t), {}) for t in range(0, 120, 3)]))
    assert fast.detectors[1].heartbeat_ms == 15_000


def test_alarm_button_always_even_in_inspection() -> None:
    det = FleetDetector()
    rows = [(0, {"mode": ServiceMode.INSPECTION})]
    out = det.process(cols(rows), [ev(1, EventCode.ALARM_BUTTON, floor=3)])
    assert of(out, A.ALARM_BUTTON) == [(True, at(1))]
    assert out[0].detail == {"floor": 3}
    assert out[0].source == "terminal"
    out = det.process(cols([(2, {})]), [ev(2, EventCode.ALARM_BUTTON)])
    assert of(out, A.ALARM_BUTTON) == []  # a repeated press within the merge window


def test_terminal_codes_are_cross_checked() -> None:
    det = FleetDetector()
    rows = [(0, {"passenger": True})]
    out = det.process(cols(rows), [ev(1, FaultCode.ENTRAPMENT)])
    e = next(x for x in out if x.alarm_type is A.ENTRAPMENT)
    assert e.source == "terminal"
    assert e.detail["confirmed"] is True
    assert e.detail["where"] == "at_landing"
    # the telemetry rule fires later but the alarm is already active: no second raise
    assert of(det.process(cols(periodic(0, 40))), A.ENTRAPMENT) == []
    # inspection mode: a reported entrapment is not taken
    det = FleetDetector()
    out = det.process(cols([(0, {"mode": ServiceMode.INSPECTION})]), [ev(1, FaultCode.ENTRAPMENT)])
    assert of(out, A.ENTRAPMENT) == []
    # telemetry disagrees (doors open): raised, marked unconfirmed
    det = FleetDetector()
    out = det.process(
        cols([(0, {"door": DoorState.OPEN})]), [ev(1, FaultCode.STOPPED_OUTSIDE_DOOR_ZONE)]
    )
    e = next(x for x in out if x.alarm_type is A.STOPPED_OUTSIDE_DOOR_ZONE)
    assert e.detail["confirmed"] is False
    out = det.process(cols([(5, {})]), [ev(4, FaultCode.STOPPED_OUTSIDE_DOOR_ZONE, active=False)])
    assert of(out, A.STOPPED_OUTSIDE_DOOR_ZONE) == [(False, at(4))]


def test_power_off_event_maps_to_power_cut() -> None:
    det = FleetDetector()
    out = det.process(cols([(0, {})]), [ev(1, EventCode.MAIN_POWER_OFF)])
    assert of(out, A.POWER_CUT) == [(True, at(1))]
    assert T0 > 0


def test_many_elevators_in_one_batch_match_one_by_one() -> None:
    import numpy as np

    from analytics.detectors.model import take_samples

    a = cols([(0, {"passenger": True}), *periodic(0, 40)], 1)
    b = cols([(0, RUN), (1, {"door": DoorState.OPEN}), (2, {}), (3, STOP)], 2)
    one = FleetDetector()
    expected = sorted(
        (e.elevator_id, e.alarm_type, e.at_ms) for c in (a, b) for e in one.process(c)
    )
    many = FleetDetector()
    ids = np.concatenate([np.full(len(a), 1), np.full(len(b), 2)]).astype(np.int64)
    allc = concat([a, b])
    many.process_many(ids, allc)
    got = sorted((e.elevator_id, e.alarm_type, e.at_ms) for e in many.drain())
    assert got == expected
    assert len(got) >= 2
    assert take_samples(allc, np.arange(2)).ts_ms.shape == (2,)


def test_door_fails_to_close_after_repeated_closing_reversals() -> None:
    det = FleetDetector()
    rows: Rows = [(0, {"door": DoorState.OPENING}), (2, {"door": DoorState.OPEN})]
    for i in range(5):
        t = 5 + i * 6
        rows += [(t, {"door": DoorState.CLOSING}), (t + 1, {"door": DoorState.OPENING})]
        rows += [(t + 2, {"door": DoorState.OPEN})]
    rows += [(40, {"door": DoorState.CLOSING}), (43, {"door": DoorState.CLOSED})]
    out = det.process(cols(rows))
    assert of(out, A.DOOR_FAILS_TO_CLOSE) == [(True, at(24)), (False, at(43))]
    # five times fully open at one floor: repeated door cycles too
    assert of(out, A.REPEATED_DOOR_CYCLES) == [(True, at(25)), (False, at(43))]


def test_passenger_holding_the_doors_is_no_door_fault() -> None:
    det = FleetDetector()
    rows: Rows = [(0, {"door": DoorState.OPENING}), (2, {"door": DoorState.OPEN})]
    rows += [(100, {"door": DoorState.CLOSING}), (101, {"door": DoorState.OPENING})]
    rows += [(102, {"door": DoorState.OPEN}), (200, {"door": DoorState.CLOSING})]
    rows += [(203, {"door": DoorState.CLOSED})]
    out = det.process(cols(rows))
    door_types = (A.DOOR_FAILS_TO_CLOSE, A.DOOR_FAILS_TO_OPEN, A.REPEATED_DOOR_CYCLES)
    assert [e for e in out if e.alarm_type in door_types] == []


def test_overtravel_from_leveling_when_the_floor_label_saturates() -> None:
    import numpy as np

    det = FleetDetector(specs={1: ElevatorSpec(top_floor=10, bottom_floor=1)})
    c = cols([(0, {**RUN, "floor": 9}), (3, {**STOP, "floor": 10, "zone": False}), (9, {})])
    c.leveling_mm[:] = np.array([0.0, 450.0, 450.0], np.float32)
    assert of(det.process(c), A.OVERTRAVEL_TOP) == [(True, at(3))]
    det = FleetDetector(specs={1: ElevatorSpec(top_floor=10, bottom_floor=1)})
    c.leveling_mm[:] = np.array([0.0, -450.0, -450.0], np.float32)  # below the top landing
    assert of(det.process(c), A.OVERTRAVEL_TOP) == []


def test_spec_of_a_registered_elevator_with_basements_skips_floor_zero() -> None:
    # Landings -2, -1, 1: floor 1 is the top landing, not above it.
    spec = ElevatorSpec.of(1.0, -2, 3, 5.0)
    assert (spec.bottom_floor, spec.top_floor) == (-2, 1)
    assert ElevatorSpec.of(1.0, 1, 10, 5.0).top_floor == 10


def test_a_forgotten_elevator_keeps_its_heartbeat_slot() -> None:
    det = FleetDetector()
    for elevator_id in (1, 2):
        det.process(cols([(0, {})], elevator_id))
    det.forget(1)
    det.process(cols([(10, {})], 1))
    det.process(cols([(100, {})], 3))  # a new elevator must not take elevator 1's slot
    offline = [
        (e.elevator_id, e.at_ms) for e in det.tick(at(30)) if e.alarm_type == A.TERMINAL_OFFLINE
    ]
    assert sorted(offline) == [(1, at(25)), (2, at(15))]
