from __future__ import annotations

from analytics.config import DetectionSettings
from analytics.detectors import AlarmEvent, FleetDetector
from domain.alarms import AlarmType
from domain.codes import CarStatus, DoorState, ServiceMode

from .samples import Rows, at, cols, periodic

ENT = AlarmType.ENTRAPMENT


def ents(events: list[AlarmEvent]) -> list[tuple[bool, int]]:
    return [(e.raised, e.at_ms) for e in events if e.alarm_type is ENT]


def trapped(t: float = 0.0, **kw: object) -> dict[str, object]:
    return {"passenger": True, "door": DoorState.CLOSED, **kw}


def test_fires_exactly_at_t_on_the_next_sample() -> None:
    det = FleetDetector(DetectionSettings(entrapment_s=30))
    out = det.process(cols([(0, trapped()), *periodic(0, 40)]))
    assert ents(out) == [(True, at(30))]
    assert out[0].detail["where"] == "at_landing"
    assert out[0].detail["floor"] == 3
    assert out[0].detail["evidence"] == ["presence_at_stop"]
    assert out[0].detail["sensors"]["presence"] == "unknown"  # no history yet


def test_fires_exactly_at_t_on_tick_without_further_samples() -> None:
    det = FleetDetector(DetectionSettings(entrapment_s=30))
    assert det.process(cols([(0, trapped()), (5, {})])) == []
    assert ents(det.tick(at(29.999))) == []
    assert ents(det.tick(at(30))) == [(True, at(30))]
    assert ents(det.tick(at(31))) == []  # raised once


def test_between_floors_detail() -> None:
    det = FleetDetector()
    out = det.process(cols([(0, trapped(zone=False, floor=7)), *periodic(0, 35)]))
    e = next(e for e in out if e.alarm_type is ENT)
    assert (e.detail["where"], e.detail["floor"]) == ("between_floors", 7)
    assert e.detail["evidence"] == ["presence_at_stop", "outside_door_zone"]


def test_clears_only_when_level_with_doors_open() -> None:
    det = FleetDetector()
    rows = [(0, trapped(zone=False)), *periodic(0, 40)]
    rows += [(41, {"door": DoorState.OPENING})]  # doors forced outside the zone: not level
    rows += [(45, {"door": DoorState.CLOSED, "car": CarStatus.RUNNING})]
    rows += [(50, {"car": CarStatus.STOPPED, "zone": True})]
    rows += [(52, {"door": DoorState.OPENING})]
    out = det.process(cols(rows))
    assert ents(out) == [(True, at(30)), (False, at(52))]


def test_short_presence_gap_neither_clears_nor_delays() -> None:
    det = FleetDetector()
    rows = [(0, trapped()), (5, {}), (10, {"passenger": False}), (19, {"passenger": True})]
    rows += periodic(19, 40)
    assert ents(det.process(cols(rows))) == [(True, at(30))]


def test_presence_gap_longer_than_tolerance_ends_the_condition_of_the_old_rule() -> None:
    rows = [(0, trapped()), (5, {}), (10, {"passenger": False}), (21, {"passenger": True})]
    rows += periodic(21, 60)
    # the presence-at-one-moment rule: the condition ended at 10 s; presence
    # "re-appearing" inside the closed car is not believed, so nothing fires
    old = DetectionSettings(entrapment_evidence=False)
    assert ents(FleetDetector(old).process(cols(rows))) == []
    assert ents(FleetDetector(naive=True).process(cols(rows))) == [(True, at(51))]
    # the evidence rule: the passenger seen at the stop is in the car until the doors
    # open, whatever the sensor says in between (a still person, a dropout)
    assert ents(FleetDetector().process(cols(rows))) == [(True, at(30))]


def test_stuck_presence_sensor_in_an_idle_closed_car_is_no_entrapment() -> None:
    rows = [(0, {}), (10, {"passenger": True}), *periodic(10, 100)]
    assert ents(FleetDetector().process(cols(rows))) == []
    assert ents(FleetDetector(naive=True).process(cols(rows))) == [(True, at(40))]


def test_passenger_boarding_then_doors_close_starts_the_condition() -> None:
    rows = [(0, {"door": DoorState.OPEN}), (2, {"passenger": True})]
    rows += [(4, {"door": DoorState.CLOSING}), (7, {"door": DoorState.CLOSED}), *periodic(7, 40)]
    assert ents(FleetDetector().process(cols(rows))) == [(True, at(37))]


def test_flicker_after_raise_neither_clears_nor_re_raises() -> None:
    det = FleetDetector()
    rows = [(0, trapped()), *periodic(0, 35), (36, {"passenger": False})]
    rows += [(40, {"passenger": True}), (42, {"passenger": False}), (60, {"passenger": True})]
    rows += periodic(60, 90)
    assert ents(det.process(cols(rows))) == [(True, at(30))]


def test_empty_car_with_spurious_presence_blips_is_no_entrapment() -> None:
    rows: Rows = [(0, {})]
    for i in range(1, 20):  # 1 s of "presence" every 6 s in a car parked empty
        rows += [(i * 6.0, {"passenger": True}), (i * 6.0 + 1, {"passenger": False})]
    assert ents(FleetDetector().process(cols(rows))) == []
    old = DetectionSettings(entrapment_evidence=False)
    assert ents(FleetDetector(old).process(cols(rows[1:]))) == []  # 1/6 of the time
    naive = FleetDetector(naive=True)
    assert ents(naive.process(cols(rows))) == []


def test_naive_baseline_restarts_on_every_flicker() -> None:
    rows = [(0, trapped()), (20, {"passenger": False}), (21, {"passenger": True})]
    rows += periodic(21, 60)
    assert ents(FleetDetector(naive=True).process(cols(rows))) == [(True, at(51))]
    assert ents(FleetDetector().process(cols(rows))) == [(True, at(30))]


def test_no_entrapment_in_inspection_or_with_open_doors_or_running() -> None:
    for change in (
        {"mode": ServiceMode.INSPECTION},
        {"door": DoorState.OPEN},
        {"car": CarStatus.RUNNING, "speed": 1.0},
    ):
        det = FleetDetector()
        out = det.process(cols([(0, trapped(**change)), *periodic(0, 100)]))
        assert ents(out) == [], change


def test_doors_opening_before_t_cancels() -> None:
    det = FleetDetector()
    rows = [(0, trapped()), (25, {"door": DoorState.OPENING}), (26, {"door": DoorState.CLOSED})]
    rows += periodic(26, 60)
    # the condition restarts when the doors close again with the passenger inside
    assert ents(det.process(cols(rows))) == [(True, at(56))]
    det2 = FleetDetector()
    out = det2.process(cols([*rows[:2], *periodic(25, 60)]))
    assert ents(out) == []


def test_late_and_out_of_order_samples() -> None:
    det = FleetDetector()
    rows = [(0, trapped()), (5, {}), (15, {}), (10, {}), (35, {})]
    assert ents(det.process(cols(rows))) == [(True, at(30))]  # re-sorted within the chunk
    late = det.process(cols([(20, {"door": DoorState.OPEN, "passenger": False})]))
    assert late == []
    assert det.detectors[1].late == 1
