"""The learned sensor health as a snapshot: round trip, an unknown baseline, corrupt input,
and a fleet detector given a saved health behaving as if it had learned that history."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from analytics.config import DetectionSettings
from analytics.detectors import AlarmEvent, FleetDetector
from analytics.detectors.health import SNAPSHOT_VERSION, SensorHealth, parse_snapshot
from analytics.detectors.model import take_samples
from analytics.detectors.rules import rules_from_settings
from domain.alarms import AlarmType
from domain.samples import StatusColumns

from .samples import Rows, at, cols, concat, periodic
from .test_entrapment_evidence import alarms, trip, with_load

HR = rules_from_settings(DetectionSettings()).health


def _learned() -> SensorHealth:
    """A health with every part learned: presence, doors, gaps and a load baseline."""
    det = FleetDetector()
    rows: Rows = [(-3600.0 + 10 * i, {}) for i in range(300)]
    rows += trip(100.0, stop_zone=True)
    c = cols(rows)
    det.process(with_load(c, [42.0 + (i % 5) for i in range(len(c))]))
    return det.detectors[1].health


def _stuck_on_snapshot() -> dict[int, dict[str, float | None]]:
    """An hour ago, a parked car whose presence sensor never went off: learned stuck."""
    learner = FleetDetector()
    assert (
        learner.process(cols([(-4000.0 + 10 * i, {"passenger": True}) for i in range(300)])) == []
    )
    report = learner.health(1)
    assert report is not None
    assert report.presence == "stuck_on"
    return learner.health_snapshots()


def _sample_by_sample(det: FleetDetector, c: StatusColumns) -> list[AlarmEvent]:
    """Live: each sample in its own batch, timers ticked to the last one."""
    out: list[AlarmEvent] = []
    for i in range(len(c)):
        out += det.process(take_samples(c, np.array([i])))
    return out + det.tick(int(c.ts_ms[-1]))


def test_snapshot_round_trip_gives_the_same_health() -> None:
    health = _learned()
    snap = health.snapshot()
    assert snap["v"] == SNAPSHOT_VERSION
    assert snap["load_base"] is not None
    assert 40 < snap["load_base"] < 48
    again = SensorHealth.from_snapshot(json.loads(json.dumps(snap, allow_nan=False)))
    assert again.snapshot() == snap
    assert again.report(HR) == health.report(HR)
    assert again.load_limit(HR) == health.load_limit(HR)
    assert again.report(HR).load == "ok"
    gap = snap["gap_mean_ms"]
    assert gap is not None
    assert 9_000 < gap < 11_000  # the learned report interval (10 s)
    assert again.report_interval_ms() == health.report_interval_ms()


def test_a_snapshot_without_the_report_interval_still_loads() -> None:
    """Snapshots saved before the interval was learned (or by an older version)."""
    snap = _learned().snapshot()
    del snap["gap_n"], snap["gap_mean_ms"]
    again = parse_snapshot(snap)
    assert again is not None
    assert math.isnan(again.report_interval_ms())


def test_unknown_baseline_is_null_in_the_snapshot_and_nan_again() -> None:
    fresh = SensorHealth()
    snap = fresh.snapshot()
    assert snap["load_base"] is None
    json.dumps(snap, allow_nan=False)  # valid JSON (jsonb has no NaN)
    for base in (None, math.nan):
        back = SensorHealth.from_snapshot({**snap, "load_base": base})
        assert math.isnan(back.load_base)
        assert back.load_band(HR) == math.inf


def test_unknown_keys_are_ignored() -> None:
    snap = {**_learned().snapshot(), "to_ms": 123, "future_field": "x"}
    assert parse_snapshot(snap) is not None


@pytest.mark.parametrize(
    "change",
    [
        {"v": 2},
        {"v": "1"},
        {"v": None},
        {"all_n": None},
        {"all_n": "300"},
        {"all_n": True},
        {"closed_n": -1.0},
        {"open_n": math.inf},
        {"gaps_n": math.nan},
        {"all_n": 1e300},
        {"closed_presence": 1e6},  # more presence than closed samples
        {"load_sigma": -0.5},
        {"load_base": "42"},
        {"load_base": math.inf},
        {"load_base": None},  # a load cell in use without its baseline
    ],
)
def test_a_corrupt_snapshot_gives_a_fresh_health(change: dict[str, object]) -> None:
    snap: dict[str, object] = {**_learned().snapshot(), **change}
    assert parse_snapshot(snap) is None
    fresh = SensorHealth.from_snapshot(snap)
    assert fresh.snapshot() == SensorHealth().snapshot()


@pytest.mark.parametrize("data", [{}, {"v": 1}, [], "health", 7, None])
def test_anything_else_gives_a_fresh_health(data: object) -> None:
    assert parse_snapshot(data) is None
    assert SensorHealth.from_snapshot(data if isinstance(data, dict) else {}).all_n == 0


def test_a_missing_count_is_rejected() -> None:
    snap = _learned().snapshot()
    del snap["gaps_short"]
    assert parse_snapshot(snap) is None


def test_a_loaded_stuck_on_sensor_raises_no_entrapment_from_the_first_sample() -> None:
    """After a restart the car boards, runs and stops at a landing with doors closed and
    presence on (the stuck sensor) for 100 s, one sample every 5 s: the fresh detector
    believes the sensor until it has seen 24 samples and raises an entrapment at T; the
    one given the saved health does not."""
    rows: Rows = [(0.0, {"passenger": True}), *trip(10.0, stop_zone=True)]
    rows += periodic(22.0, 120.0)
    fresh = FleetDetector()
    assert alarms(_sample_by_sample(fresh, cols(rows))) == [(True, at(22.0 + 30.0))]
    loaded = FleetDetector()
    assert loaded.load_health(_stuck_on_snapshot()) == 1
    assert loaded.detectors[1].presence_trusted is False  # before any sample
    out = _sample_by_sample(loaded, cols(rows))
    assert alarms(out) == []
    assert alarms(out, AlarmType.POSSIBLE_ENTRAPMENT) == []
    report = loaded.health(1)
    assert report is not None
    assert report.presence == "stuck_on"


def test_a_replay_of_samples_the_loaded_health_counts_is_not_learned_again() -> None:
    det = FleetDetector()
    det.process(cols([(10.0 * i, {}) for i in range(100)]))
    snap = det.health_snapshots([1])
    assert snap[1]["to_ms"] == at(990.0)
    assert snap[1]["closed_n"] == 100
    again = FleetDetector()
    again.load_health(snap)
    # a replay of the last 50 samples, then 20 new ones (as one batch)
    again.process_many(np.ones(70, np.int64), cols([(10.0 * i, {}) for i in range(50, 120)]))
    assert again.detectors[1].health.closed_n == 120
    assert again.detectors[1].health_learned_to == -1  # past it: learns as usual
    again.process(cols([(1300.0, {})]))
    assert again.detectors[1].health.closed_n == 121


def test_a_replay_with_nothing_new_learns_nothing_and_keeps_other_elevators() -> None:
    det = FleetDetector()
    det.process(cols([(10.0 * i, {}) for i in range(100)]))
    again = FleetDetector()
    again.load_health(det.health_snapshots())
    replay = [cols([(10.0 * i, {}) for i in range(100)]), cols([(5.0, {})], elevator_id=2)]
    ids = np.array([1] * 100 + [2], np.int64)
    again.process_many(ids, concat(replay))
    assert again.detectors[1].health.closed_n == 100
    assert again.detectors[2].health.closed_n == 1


def test_snapshots_of_chosen_elevators_and_invalid_ones_skipped() -> None:
    det = FleetDetector()
    det.process(cols([(10.0 * i, {}) for i in range(30)], elevator_id=1))
    det.process(cols([(10.0 * i, {}) for i in range(30)], elevator_id=2))
    det.detector(3)  # seen, nothing learned: no snapshot
    assert set(det.health_snapshots()) == {1, 2}
    assert set(det.health_snapshots([2, 3, 4])) == {2}
    other = FleetDetector()
    snaps = det.health_snapshots()
    loaded = other.load_health({1: snaps[1], 2: {**snaps[2], "v": 99}, 5: {"to_ms": 1}})
    assert loaded == 1
    assert set(other.detectors) == {1}
