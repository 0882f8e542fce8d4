"""Entrapment from all the evidence, the learned sensor health, possible entrapment."""

from __future__ import annotations

import dataclasses

import numpy as np

from analytics.config import DetectionSettings
from analytics.detectors import AlarmEvent, FleetDetector
from analytics.detectors.model import take_samples
from domain.alarms import AlarmType
from domain.codes import CarStatus, DoorState, EventCode
from domain.samples import StatusColumns
from domain.telemetry import EventMessage
from simulators.fleet import generate_fleet
from simulators.sensors import PresenceModel, Reporting, draw_profile, presence_reading
from simulators.sweep import true_run
from simulators.terminals import deliveries

from .samples import Rows, at, cols, periodic

ENT = AlarmType.ENTRAPMENT
POSSIBLE = AlarmType.POSSIBLE_ENTRAPMENT


def alarms(events: list[AlarmEvent], kind: AlarmType = ENT) -> list[tuple[bool, int]]:
    return [(e.raised, e.at_ms) for e in events if e.alarm_type is kind]


def trip(t: float, stop_zone: bool = False, presence: bool = True) -> Rows:
    """Board at ``t`` (doors open, passenger in, doors close), run, stop at ``t + 12``."""
    return [
        (t, {"door": DoorState.OPEN, "passenger": presence}),
        (t + 3, {"door": DoorState.CLOSING}),
        (t + 6, {"door": DoorState.CLOSED}),
        (t + 7, {"car": CarStatus.RUNNING}),
        (t + 12, {"car": CarStatus.STOPPED, "zone": stop_zone, "floor": 5}),
    ]


def with_load(c: StatusColumns, kg: list[float]) -> StatusColumns:
    return dataclasses.replace(c, load=np.array(kg, np.float32))


def test_still_passenger_for_two_minutes_fires_at_t() -> None:
    """A motion sensor sees the passenger board and ride, then nothing for 2 minutes
    (a still person): the passenger is in the car until the doors open."""
    rows = [(0.0, {}), *trip(10.0)]
    rows += [(23.0, {"passenger": False}), *periodic(23.0, 145.0)]  # still, invisible
    out = FleetDetector().process(cols(rows))
    # a periodic terminal (learned): the car stopped between the samples at 17 and 22 s
    assert alarms(out) == [(True, at(19.5 + 30.0))]
    detail = next(e.detail for e in out if e.alarm_type is ENT)
    assert detail["evidence"][:2] == ["presence_before_stop", "presence_at_stop"]
    assert "door_never_opened" in detail["evidence"]
    assert detail["where"] == "between_floors"
    # the old rule and the naive baseline lose the passenger when the sensor does
    old = FleetDetector(DetectionSettings(entrapment_evidence=False))
    assert alarms(old.process(cols(rows))) == []
    assert alarms(FleetDetector(naive=True).process(cols(rows))) == []


def test_doors_opening_releases_and_clears_the_evidence() -> None:
    rows = [(0.0, {}), *trip(10.0, stop_zone=True), (25.0, {"door": DoorState.OPENING})]
    rows += [(27.0, {"door": DoorState.OPEN, "passenger": False})]
    rows += [(30.0, {"door": DoorState.CLOSED}), *periodic(30.0, 120.0)]
    assert alarms(FleetDetector().process(cols(rows))) == []


def _week_of_service(presence: PresenceModel) -> tuple[StatusColumns, list[int]]:
    """A week of normal journeys (from midnight) seen through a presence model, 5-s
    periodic reporting; with the start times of the car's door-closed idle periods."""
    e = generate_fleet(1, 3).elevators[0]
    run = true_run(e, 0, seed=5, warmup_s=7 * 86_400.0, start_ms=1_772_380_800_000)
    rng = np.random.default_rng(1)
    st = run.status
    seen = dataclasses.replace(
        st, passenger=presence_reading(presence, st.ts_ms, st.passenger, st.car, st.door, rng)
    )
    profile = draw_profile(rng, presence, False, Reporting.PERIODIC)
    d = deliveries(seen, profile, rng)
    return take_samples(seen, d.index), []


def test_stuck_on_sensor_over_a_week_raises_no_entrapment() -> None:
    week, _ = _week_of_service(PresenceModel.STUCK_ON)
    det = FleetDetector()
    out: list[AlarmEvent] = []
    hour = 3_600_000
    t0 = int(week.ts_ms[0])
    for h in range(7 * 24):
        part = np.flatnonzero((week.ts_ms >= t0 + h * hour) & (week.ts_ms < t0 + (h + 1) * hour))
        out += det.process(take_samples(week, part))
    assert alarms(out) == []
    assert alarms(out, POSSIBLE) == []
    health = det.health(week.elevator_id)
    assert health is not None
    assert health.presence == "stuck_on"
    # the naive baseline alarms on every idle period
    naive = FleetDetector(naive=True).process(week)
    assert len(alarms(naive)) > 100


def test_dead_sensor_falls_back_on_the_load_cell() -> None:
    rows = [(0.0, {}), *trip(10.0, presence=False), *periodic(22.0, 60.0)]
    c = cols(rows)
    empty, person = 42.0, 42.0 + 70.0
    kg = [empty] + [person] * (len(c) - 1)  # a 70-kg passenger from boarding
    kg[1] = empty  # doors open, before boarding
    det = FleetDetector()
    # a history of an empty car: the load cell's baseline is learned
    history = cols([(-3600.0 + 10 * i, {}) for i in range(300)])
    det.process(with_load(history, [empty + (i % 5) for i in range(300)]))
    out = det.process(with_load(c, kg))
    assert alarms(out) == [(True, at(19.5 + 30.0))]  # periodic history: mid-gap
    detail = next(e.detail for e in out if e.alarm_type is ENT)
    assert detail["evidence"][0] == "load"
    assert detail["sensors"]["load"] == "ok"
    h = det.health(1)
    assert h is not None
    assert h.load_baseline_kg is not None
    assert 40 < h.load_baseline_kg < 48


def test_load_cell_drift_is_followed() -> None:
    """An empty-car offset drifting 20 kg a day raises no entrapment over 3 days."""
    det = FleetDetector()
    out: list[AlarmEvent] = []
    rng = np.random.default_rng(3)
    for h in range(72):
        t = h * 3600.0
        rows: Rows = [(t + 10 * i, {}) for i in range(360)]
        rows[100:105] = trip(t + 1000.0, stop_zone=True, presence=False)
        rows[105:107] = [
            (t + 1025.0, {"door": DoorState.OPEN}),
            (t + 1030.0, {"door": DoorState.CLOSED}),
        ]
        c = cols(sorted(rows, key=lambda r: r[0]))
        base = 30.0 + 20.0 * (c.ts_ms - at(0)) / 86_400_000
        out += det.process(with_load(c, list(base + rng.normal(0, 4, len(c)))))
    assert alarms(out) == []
    learned = det.health(1)
    assert learned is not None
    assert learned.load_baseline_kg is not None
    assert abs(learned.load_baseline_kg - (30.0 + 20.0 * 3)) < 10


def test_alarm_button_in_a_closed_car_is_evidence() -> None:
    rows = [(0.0, {}), *trip(10.0, stop_zone=True, presence=False), *periodic(22.0, 90.0)]
    press = EventMessage(v=1, seq=99, ts=at(70.0), code=EventCode.ALARM_BUTTON)
    det = FleetDetector()
    out = det.process(cols(rows), [press])
    assert alarms(out) == [(True, at(70.0))]  # at the press (after T)
    detail = next(e.detail for e in out if e.alarm_type is ENT)
    assert detail["evidence"] == ["alarm_button", "door_never_opened"]


def test_possible_entrapment_when_evidence_is_too_weak() -> None:
    """Dead presence sensor, no load cell: a car that left right after a door cycle and
    stopped outside the door zone is a possible entrapment at T (the desk decides)."""
    rows = [(0.0, {}), *trip(10.0, presence=False), *periodic(22.0, 80.0)]
    out = FleetDetector().process(cols(rows))
    assert alarms(out) == []
    # too few gaps to tell the reporting pattern: the stop is timed at its sample
    assert alarms(out, POSSIBLE) == [(True, at(52.0))]
    assert alarms(out, AlarmType.STOPPED_OUTSIDE_DOOR_ZONE) == [(True, at(67.0))]
    detail = next(e.detail for e in out if e.alarm_type is POSSIBLE)
    assert detail["evidence"] == ["trip_after_door_cycle", "door_never_opened", "outside_door_zone"]
    # the alarm button upgrades it to an entrapment (and the possible one is resolved)
    press = EventMessage(v=1, seq=99, ts=at(90.0), code=EventCode.ALARM_BUTTON)
    det = FleetDetector()
    out = det.process(cols([*rows, *periodic(80.0, 100.0)]), [press])
    assert alarms(out, POSSIBLE) == [(True, at(19.5 + 30.0)), (False, at(90.0))]
    assert alarms(out) == [(True, at(90.0))]


def test_no_possible_entrapment_for_an_empty_car_called_after_a_long_idle() -> None:
    rows: Rows = [(0.0, {"door": DoorState.OPEN}), (4.0, {"door": DoorState.CLOSED})]
    rows += [*periodic(4.0, 300.0), (301.0, {"car": CarStatus.RUNNING})]
    rows += [(306.0, {"car": CarStatus.STOPPED, "zone": False}), *periodic(306.0, 400.0)]
    out = FleetDetector().process(cols(rows))
    assert alarms(out) == []
    assert alarms(out, POSSIBLE) == []
    assert alarms(out, AlarmType.STOPPED_OUTSIDE_DOOR_ZONE) == [(True, at(351.0))]


def test_a_sparse_terminal_counters_reveal_an_unseen_door_cycle() -> None:
    """Seen running with a passenger, then parked closed: the door-cycle counter rose
    in between, so the doors opened and the passenger could leave."""
    rows: Rows = [(0.0, {}), (10.0, {"car": CarStatus.RUNNING, "passenger": True})]
    rows += [(25.0, {"car": CarStatus.STOPPED, "passenger": False}), *periodic(25.0, 120.0, 15)]
    c = cols(rows)
    cycles = np.where(c.ts_ms >= at(25.0), 11, 10).astype(np.int32)
    out = FleetDetector().process(dataclasses.replace(c, door_cycles=cycles))
    assert alarms(out) == []
    # without counters the stale passenger looks trapped
    assert alarms(FleetDetector().process(c)) != []


def test_a_periodic_terminal_times_the_stop_in_the_middle_of_the_gap() -> None:
    rows: Rows = [(float(t), {}) for t in range(0, 600, 5)]  # a periodic terminal's history
    rows += [(600.0, {"door": DoorState.OPEN, "passenger": True})]
    rows += [(605.0, {"door": DoorState.CLOSED}), *periodic(605.0, 700.0)]
    out = FleetDetector().process(cols(rows))
    # the doors closed somewhere in (600, 605]: timed at 602.5
    assert alarms(out) == [(True, at(602.5 + 30.0))]
    assert next(e.detail for e in out if e.alarm_type is ENT)["sensors"]["reporting"] == "periodic"


def sparse_history(until: float, every: float = 15.0) -> Rows:
    """A sparse terminal's history: an idle car reported every ``every`` seconds."""
    return [(float(t), {}) for t in np.arange(0.0, until, every)]


def test_presence_while_the_doors_close_is_someone_inside() -> None:
    """The only presence sample is of the doors closing (the sensor drops out at the
    stop): someone was inside as they closed, and the doors never opened again."""
    rows = [*sparse_history(600.0, 15.0), (600.0, {"door": DoorState.OPENING})]
    rows += [(615.0, {"door": DoorState.CLOSING, "passenger": True})]
    rows += [(630.0, {"door": DoorState.CLOSED, "zone": False}), *periodic(630.0, 700.0, 15)]
    out = FleetDetector().process(cols(rows))
    # the doors were closing at 615 s: closed within 2.5 s (not mid-gap, 622.5 s)
    assert alarms(out) == [(True, at(617.5 + 30.0))]
    assert next(e.detail for e in out if e.alarm_type is ENT)["evidence"][0] == "presence_at_stop"
    # a closing sample without presence is no evidence (a possible entrapment at most)
    rows[-len(periodic(630.0, 700.0, 15)) - 2] = (615.0, {"door": DoorState.CLOSING})
    assert alarms(FleetDetector().process(cols(rows))) == []


def test_one_missed_sample_of_a_sparse_terminal_is_a_flicker() -> None:
    """Presence on the first sample of the stopped car, missed on the next (11 s later,
    longer than a flicker's gap, too short for a still person's), seen again on the one
    after: one person, held (a flickering sensor seen by a sparse terminal)."""
    rows = [*sparse_history(600.0, 11.0), (600.0, {"door": DoorState.OPEN})]
    rows += [(611.0, {"door": DoorState.CLOSED, "passenger": True, "zone": False})]
    rows += [(622.0, {"passenger": False}), (633.0, {"passenger": True})]
    rows += periodic(633.0, 700.0, 11)
    out = FleetDetector().process(cols(rows))
    assert alarms(out) == [(True, at(605.5 + 30.0))]


def test_presence_back_after_a_longer_gap_must_be_held_twice_as_long() -> None:
    """Seen at the stop, missed on two samples of a periodic terminal, seen again: held
    10 s from its return it is the same person; 5 s may be a glitch."""
    rows = [*sparse_history(600.0, 5.0), (600.0, {"door": DoorState.OPEN})]
    rows += [(605.0, {"door": DoorState.CLOSED, "passenger": True})]
    rows += [(610.0, {"passenger": False}), (615.0, {}), (620.0, {"passenger": True})]
    short = [*rows, (625.0, {}), (630.0, {"passenger": False}), *periodic(630.0, 700.0)]
    assert alarms(FleetDetector().process(cols(short))) == []
    held = [*rows, (625.0, {}), (630.0, {}), *periodic(630.0, 700.0)]
    assert alarms(FleetDetector().process(cols(held))) == [(True, at(602.5 + 30.0))]


def test_presence_appearing_first_long_after_the_stop_is_not_believed() -> None:
    """Nobody can enter a closed car: presence first seen long after the stop, though
    held, is a sensor's fault (the stuck-on case before it is learned)."""
    rows = [*sparse_history(600.0, 5.0), (600.0, {"door": DoorState.OPEN})]
    rows += [(605.0, {"door": DoorState.CLOSED}), *periodic(605.0, 625.0)]
    rows += [(625.0, {"passenger": True}), *periodic(625.0, 700.0)]
    assert alarms(FleetDetector().process(cols(rows))) == []


def test_presence_first_seen_late_after_a_trip_counts_once_held() -> None:
    """A motion sensor on a sparse terminal: the passenger, still, is not seen while
    the doors close nor during the trip, and moves again a minute after the car stopped
    between floors. Seen on two samples 15 s apart, he is in the car (the car ran right
    after a door cycle: it may carry people); seen on one, it may be a glitch."""
    rows = [*sparse_history(600.0, 15.0), (600.0, {"door": DoorState.OPEN})]
    rows += [(606.0, {"door": DoorState.CLOSED}), (610.0, {"car": CarStatus.RUNNING})]
    rows += [(620.0, {"car": CarStatus.STOPPED, "zone": False}), *periodic(620.0, 650.0, 15)]
    seen_twice = [*rows, (665.0, {"passenger": True}), (680.0, {}), (695.0, {})]
    out = FleetDetector().process(cols([*seen_twice, *periodic(695.0, 800.0, 15)]))
    # held from 665 s: 2 x 5 s later is the evidence, after the due time (615 + 30 s)
    assert alarms(out) == [(True, at(675.0))]
    assert (
        "presence_in_closed_car" in next(e.detail for e in out if e.alarm_type is ENT)["evidence"]
    )
    seen_once = [*rows, (665.0, {"passenger": True}), (680.0, {"passenger": False})]
    out = FleetDetector().process(cols([*seen_once, *periodic(680.0, 800.0, 15)]))
    assert alarms(out) == []
    assert alarms(out, POSSIBLE) == [(True, at(615.0 + 30.0))]  # the desk still sees it


def test_presence_back_after_the_window_is_not_taken_for_presence_held_since() -> None:
    """Seen once at the stop (not held), gone, and back only after the window in which
    presence in a closed car is believed: no evidence; the presence seen at the stop is
    not taken as held all along."""
    rows = [*sparse_history(600.0, 5.0), (600.0, {"door": DoorState.OPEN})]
    rows += [(605.0, {"door": DoorState.CLOSED, "passenger": True})]
    rows += [(610.0, {"passenger": False}), *periodic(610.0, 800.0)]
    rows += [(805.0, {"passenger": True}), *periodic(805.0, 900.0)]
    assert alarms(FleetDetector().process(cols(rows))) == []


def busy_hour(t0: float, empty_kg: float, rng: np.random.Generator) -> tuple[Rows, list[float]]:
    """An hour of a busy car (an office tower at peak), on-change reporting: people
    board, the doors close, the car waits 20 s with them inside before it departs, runs,
    lets them out; never idle. Returns the rows and their load readings."""
    rows: Rows = []
    kg: list[float] = []
    t = t0
    while t < t0 + 3600.0:
        load = empty_kg + 65.0 * int(rng.integers(1, 4))
        for dt, state, w in (
            (0.0, {"door": DoorState.OPEN, "passenger": True}, load),
            (4.0, {"door": DoorState.CLOSING, "passenger": True}, load),
            (7.0, {"door": DoorState.CLOSED, "passenger": True}, load),
            (27.0, {"car": CarStatus.RUNNING, "passenger": True}, load),
            (37.0, {"car": CarStatus.STOPPED, "passenger": True}, load),
            (38.0, {"door": DoorState.OPEN, "passenger": False}, empty_kg),
            (42.0, {"door": DoorState.CLOSING, "passenger": False}, empty_kg),
        ):
            rows.append((t + dt, state))
            kg.append(w + float(rng.normal(0.0, 3.0)))
        t += 45.0
    return rows, kg


def test_a_busy_car_is_not_judged_stuck_nor_its_load_cell_blurred() -> None:
    """A car that stands closed with people inside between trips most of the time is not
    an idle car: its presence sensor is not "stuck on" (it would lose every entrapment)
    and the people's weight does not widen the load cell's empty-car spread; idle
    minutes (at night) teach the empty car."""
    rng = np.random.default_rng(5)
    det = FleetDetector()
    for h in range(4):
        rows, kg = busy_hour(h * 3600.0, 80.0, rng)
        det.process(with_load(cols(rows), kg))
    health = det.health(1)
    assert health is not None
    assert health.presence != "stuck_on"
    assert health.load == "unknown"  # never idle yet: no empty-car baseline to trust
    night: Rows = [(4 * 3600.0 + 10 * i, {}) for i in range(1, 300)]
    det.process(with_load(cols(night), [80.0 + float(rng.normal(0.0, 3.0)) for _ in night]))
    health = det.health(1)
    assert health is not None
    assert health.load == "ok"
    assert health.load_baseline_kg is not None
    assert abs(health.load_baseline_kg - 80.0) < 3.0
    assert det.detectors[1].health.load_sigma < 5.0
    # then a passenger trapped at a landing: found by presence and load
    rows, kg = busy_hour(5 * 3600.0, 80.0, rng)
    rows, kg = rows[:3], kg[:3]  # boards, the doors close, the car never leaves
    rows += periodic(5 * 3600.0 + 7.0, 5 * 3600.0 + 60.0)
    kg += [kg[-1]] * (len(rows) - len(kg))
    out = det.process(with_load(cols(rows), kg))
    assert [r for r, _ in alarms(out)] == [True]
    assert "load" in next(e.detail for e in out if e.alarm_type is ENT)["evidence"]


def test_a_noisy_load_cell_does_not_outweigh_presence() -> None:
    """A load cell whose empty-car spread hides one adult (sd 12 kg: 5 sd = 60 kg) is
    "noisy": it cannot say the car is empty, so presence decides."""
    rng = np.random.default_rng(8)
    det = FleetDetector()
    idle: Rows = [(10.0 * i, {}) for i in range(400)]
    det.process(with_load(cols(idle), [60.0 + float(rng.normal(0, 12.0)) for _ in idle]))
    health = det.health(1)
    assert health is not None
    assert health.load == "noisy"
    rows = [*trip(4000.0, stop_zone=True)]
    rows += periodic(4012.0, 4060.0)
    out = det.process(with_load(cols(rows), [60.0 + float(rng.normal(0, 12.0)) for _ in rows]))
    assert [r for r, _ in alarms(out)] == [True]  # the passenger seen at the stop
