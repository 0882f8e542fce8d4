from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import replace
from datetime import date

import msgspec
import numpy as np
import pytest

from domain.alarms import AlarmType
from domain.codes import DOOR_CLOSED as CLOSED
from domain.codes import DOOR_OPEN as OPEN
from domain.codes import MODE_INSPECTION as INSPECTION
from domain.codes import POWER_CUT as CUT
from domain.fleet import BuildingType, Fleet
from domain.groundtruth import GroundTruth, LookAlike
from domain.telemetry import EventMessage, StatusMessage
from simulators.demand import HOURLY, local_hour_and_weekday
from simulators.fleet import generate_fleet
from simulators.scenario import (
    DEFAULT_START_MS,
    KINDS,
    ElevatorRun,
    ScenarioConfig,
    message_stream,
    run_scenario,
    shaft_of,
)
from tests.unit.simulators.rules import entrapments, stopped_outside

EVAL = ScenarioConfig(seed=3, duration_s=86_400, evaluation=True, window_s=21_600)


@pytest.fixture(scope="module")
def fleet() -> Fleet:
    f = generate_fleet(60, 2, date(2026, 1, 1))
    return Fleet(f.companies, f.user_units, f.elevators[::6], f.stations, f.rescuers)


@pytest.fixture(scope="module")
def runs(fleet: Fleet) -> list[ElevatorRun]:
    return list(run_scenario(fleet, EVAL))


def _in(st_ts: np.ndarray, g: GroundTruth) -> np.ndarray:
    return (st_ts >= g.start_ms) & (st_ts < g.end_ms)


def _hash(fleet: Fleet, cfg: ScenarioConfig) -> str:
    h = hashlib.sha256()
    n = 0
    for terminal, kind, payload in message_stream(fleet, cfg):
        h.update(terminal.encode() + kind.encode() + payload)
        n += 1
    assert n > 100
    return h.hexdigest()


def test_same_seed_same_message_stream(fleet: Fleet) -> None:
    cfg = ScenarioConfig(seed=7, duration_s=1800, evaluation=True, eval_per_day=48.0)
    small = Fleet(fleet.companies, fleet.user_units, fleet.elevators[:4], [], [])
    assert _hash(small, cfg) == _hash(small, cfg)
    assert _hash(small, cfg) != _hash(small, ScenarioConfig(**{**cfg.__dict__, "seed": 8}))


def test_stream_is_time_ordered_and_seq_monotonic_per_terminal(fleet: Fleet) -> None:
    cfg = ScenarioConfig(seed=1, duration_s=1200, evaluation=True, eval_per_day=72.0)
    small = Fleet(fleet.companies, fleet.user_units, fleet.elevators[:5], [], [])
    last_ts = 0
    last_seq: dict[str, int] = {}
    kinds = set()
    for terminal, kind, payload in message_stream(small, cfg):
        msg: StatusMessage | EventMessage = (
            msgspec.json.decode(payload, type=StatusMessage)
            if kind == "status"
            else msgspec.json.decode(payload, type=EventMessage)
        )
        assert msg.ts >= last_ts
        assert msg.seq == last_seq.get(terminal, 0) + 1
        last_ts, last_seq[terminal] = msg.ts, msg.seq
        kinds.add(kind)
    assert kinds == {"status", "event"}


def test_every_kind_injected_and_lookalikes_are_not_faults(runs: list[ElevatorRun]) -> None:
    truth = [g for r in runs for g in r.truth]
    seen = {g.kind for g in truth}
    assert set(KINDS) <= seen | {"entrapment"}
    assert {"at_landing", "between_floors"} <= {g.detail for g in truth if g.kind == "entrapment"}
    for g in truth:
        assert g.is_fault == (g.kind not in {k.value for k in LookAlike})
        assert EVAL.start_ms <= g.start_ms <= g.end_ms <= EVAL.end_ms


def test_status_ordered_with_on_change_samples(runs: list[ElevatorRun]) -> None:
    for r in runs:
        st = r.status
        assert (np.diff(st.ts_ms) > 0).all()
        assert (np.diff(st.seq) > 0).all()
        gaps = np.diff(st.ts_ms)
        assert gaps.max() <= 5000 or any(g.kind == "terminal_offline" for g in r.truth)
        # Far more samples than the 5 s grid alone: state changes are sampled too.
        assert len(st) > 1.1 * 86_400 / 5


def test_reference_detector_matches_truth_and_naive_does_worse(runs: list[ElevatorRun]) -> None:
    def score(naive: bool) -> tuple[int, int, int]:
        tp = fp = fn = 0
        for r in runs:
            rules = (("entrapment", entrapments), ("stopped_outside_door_zone", stopped_outside))
            for kind, rule in rules:
                truth = [g for g in r.truth if g.kind == kind]
                found = rule(r.status, naive=naive)
                hit = set()
                for d in found:
                    match = [i for i, g in enumerate(truth) if abs(g.start_ms - d.start_ms) <= 1000]
                    if match:
                        tp += 1
                        hit.add(match[0])
                    else:
                        fp += 1
                fn += len(truth) - len(hit)
        return tp, fp, fn

    tp, fp, fn = score(naive=False)
    assert tp > 40
    assert tp / (tp + fp) >= 0.99
    assert tp / (tp + fn) >= 0.99
    ntp, nfp, _ = score(naive=True)
    assert ntp / (ntp + nfp) < 0.8  # flicker, stuck presence and inspection fool it


def test_fault_telemetry_matches_its_truth(runs: list[ElevatorRun], fleet: Fleet) -> None:
    rated = {e.id: e.rated_speed for e in fleet.elevators}
    top = {e.id: int(shaft_of(e)[1][-1]) for e in fleet.elevators}
    checked: dict[str, int] = defaultdict(int)
    for r in runs:
        st = r.status
        ts = st.ts_ms
        for g in r.truth:
            m = _in(ts, g)
            if g.kind in ("entrapment", "power_cut", "door_open_while_running", "overspeed",
                          "inspection", "long_door_hold"):  # fmt: skip
                assert ts[m][0] == g.start_ms, g  # a sample exactly at the start
            if g.kind == AlarmType.ENTRAPMENT:
                assert (st.door[m] == CLOSED).all()
                assert (st.car[m] == 0).all()
                assert st.passenger[m].mean() > 0.8
                zone = st.door_zone[m]
                assert zone.all() if g.detail == "at_landing" else (~zone).all()
            elif g.kind == AlarmType.STOPPED_OUTSIDE_DOOR_ZONE:
                assert (st.car[m] == 0).all()
                assert (~st.door_zone[m]).all()
            elif g.kind == AlarmType.DOOR_OPEN_WHILE_RUNNING:
                assert m.sum() >= 2
                assert (st.car[m] == 1).all()
                assert (st.door[m] == OPEN).all()
            elif g.kind == AlarmType.OVERSPEED:
                assert m.sum() >= 2
                assert (st.speed[m] > 1.2 * rated[r.elevator_id]).all()
            elif g.kind in (AlarmType.OVERTRAVEL_TOP, AlarmType.OVERTRAVEL_BOTTOM):
                assert (st.car[m] == 0).all()
                assert (np.abs(st.leveling_mm[m]) > 200).all()
                if g.kind == AlarmType.OVERTRAVEL_TOP:
                    assert (st.floor[m] == top[r.elevator_id]).all()
            elif g.kind == AlarmType.POWER_CUT:
                assert (st.power[m] == CUT).all()
            elif g.kind == AlarmType.TERMINAL_OFFLINE:
                assert m.sum() == 0
                assert g.end_ms in ts
                assert not any(g.start_ms <= e.ts < g.end_ms for e in r.events)
            elif g.kind == AlarmType.ALARM_BUTTON:
                assert any(e.code == 90 and e.ts == g.start_ms for e in r.events)
            elif g.kind == AlarmType.DOOR_FAILS_TO_CLOSE:
                opens = np.diff(st.door_cycles[m]).sum()
                assert opens >= 5
                assert (st.car[m] == 0).all()
            elif g.kind == AlarmType.DOOR_FAILS_TO_OPEN:
                assert (st.door[m] != OPEN).all()
                assert (st.car[m] == 0).all()
                assert st.analog["door_open_s"][m].max() > 15
            elif g.kind == LookAlike.INSPECTION:
                assert (st.mode[m] == INSPECTION).all()
                assert st.passenger[m].all()
            elif g.kind == LookAlike.LONG_DOOR_HOLD:
                assert (st.door[m] != CLOSED).all()
                assert st.passenger[m].all()
                assert g.end_ms - g.start_ms >= 60_000
            elif g.kind == LookAlike.PRESENCE_FLICKER:
                assert (st.door[m] == CLOSED).all()
                assert (st.car[m] == 0).all()
            checked[g.kind] += 1
    assert len(checked) >= 14
    # Power is cut, and speed above 1.2 x rated, only inside their truth intervals.
    for r in runs:
        st = r.status
        inside_cut = np.zeros(len(st), bool)
        inside_os = np.zeros(len(st), bool)
        for g in r.truth:
            if g.kind == AlarmType.POWER_CUT:
                inside_cut |= _in(st.ts_ms, g)
            if g.kind == AlarmType.OVERSPEED:
                inside_os |= _in(st.ts_ms, g)
        assert ((st.power == CUT) == inside_cut).all()
        assert ((st.speed > 1.2 * rated[r.elevator_id]) == inside_os).all()
    # Every alarm button event has its truth record.
    for r in runs:
        presses = sorted(e.ts for e in r.events if e.code == 90)
        assert presses == sorted(g.start_ms for g in r.truth if g.kind == "alarm_button")


def test_journey_rates_match_the_demand_model() -> None:
    """Boardings per building type and local hour agree with HOURLY (no faults injected)."""
    f = generate_fleet(400, 8, date(2026, 1, 1))
    picked = []
    for t in BuildingType:
        picked += [e for e in f.elevators if e.building_type == t and e.floors >= 3][:4]
    sub = Fleet(f.companies, f.user_units, picked, [], [])
    cfg = ScenarioConfig(seed=5, duration_s=86_400, kinds=frozenset(), window_s=21_600)
    observed: dict[BuildingType, np.ndarray] = {t: np.zeros(24) for t in BuildingType}
    kind = {e.id: e.building_type for e in picked}
    for r in run_scenario(sub, cfg):
        st = r.status
        board = st.passenger[1:] & ~st.passenger[:-1] & (st.door[1:] == OPEN)
        hour, _ = local_hour_and_weekday(st.ts_ms[1:][board])
        observed[kind[r.elevator_id]] += np.bincount(hour, minlength=24)
        assert not r.truth
    for t in BuildingType:
        expected = np.asarray(HOURLY[t]) * 4  # 4 elevators, 2026-03-02 is a Monday
        obs = observed[t]
        total = expected.sum()
        assert abs(obs.sum() - total) <= 0.05 * total + 3 * np.sqrt(total)
        assert (np.abs(obs - expected) <= 0.15 * expected + 4 * np.sqrt(expected) + 2).all(), t
        peak = int(np.argmax(expected))
        assert obs[peak] > 2 * obs[3]  # peaks are peaks, nights are quiet


def test_accelerated_status_interval_keeps_behaviour_and_on_change_samples() -> None:
    """A longer periodic interval (accelerated runs) thins only the periodic samples.

    Journeys, faults and events are the same; every on-change sample is still there; no
    gap between status samples exceeds the interval. Short windows (paced runs) give the
    same number of journeys as long ones: no passenger is dropped at a window's end.
    """
    f = generate_fleet(80, 4, date(2026, 1, 1))
    sub = Fleet(f.companies, f.user_units, f.elevators[::10], [], [])
    base = ScenarioConfig(
        seed=9, start_ms=DEFAULT_START_MS + 7 * 3_600_000, duration_s=3 * 3600.0,
        fault_rate_scale=30.0, window_s=600.0,
    )  # fmt: skip
    fine = list(run_scenario(sub, base))
    coarse = list(run_scenario(sub, replace(base, status_interval_s=60.0)))
    long_windows = list(run_scenario(sub, replace(base, status_interval_s=60.0, window_s=3600)))
    offline = {(g.elevator_id, g.start_ms, g.end_ms) for r in fine for g in r.truth
               if g.kind == AlarmType.TERMINAL_OFFLINE}  # fmt: skip
    trips_fine = trips_long = 0
    for a, b, c in zip(fine, coarse, long_windows, strict=True):
        assert a.truth == b.truth
        assert [(e.ts, e.code, e.active) for e in a.events] == [
            (e.ts, e.code, e.active) for e in b.events
        ]
        assert a.status.runs[-1] == b.status.runs[-1]
        assert a.end_ms == b.end_ms
        ts_a, ts_b = set(a.status.ts_ms.tolist()), set(b.status.ts_ms.tolist())
        # The 5 s grid of an elevator starts at start + (id * 7919) % 5000.
        g0 = base.start_ms + (a.elevator_id * 7919) % 5000
        grid_a = {t for t in ts_a if (t - g0) % 5000 == 0}
        change_a = ts_a - grid_a  # on-change samples: all are in the 60 s run
        assert change_a <= ts_b
        assert len(ts_b) < len(ts_a) - len(grid_a) // 2
        gaps = np.diff(b.status.ts_ms)
        allowed = any(e == b.elevator_id for e, _, _ in offline)
        assert allowed or gaps.max() <= 60_000
        trips_fine += int(a.status.runs[-1] - a.status.runs[0])
        trips_long += int(c.status.runs[-1] - c.status.runs[0])
    assert trips_fine > 200
    assert abs(trips_fine - trips_long) <= 0.1 * trips_fine
