"""The sensor sweep's machinery on a small run (the figures come from bench/detect.py)."""

from __future__ import annotations

import json

import numpy as np

from evaluation.sensor_sweep import CELLS, cell_name, run_sweep, sweep_json
from simulators.fleet import generate_fleet
from simulators.sensors import PresenceModel, Reporting, SensorProfile, presence_reading
from simulators.sweep import true_run
from simulators.terminals import deliveries


def test_sweep_scores_every_requested_cell() -> None:
    cells = (0, 13, 39)  # flicker/load/periodic, motion/load/duplicated..., dead/no_load/...
    result = run_sweep(elevators=2, episodes=2, seed=3, workers=1, warmup_s=1800.0, cells=cells)
    doc = json.loads(json.dumps(sweep_json(result)))
    assert list(doc["sweep"]) == [cell_name(*CELLS[i]) for i in cells]
    assert doc["entrapments_per_cell"] == 4
    for name, s in doc["sweep"].items():
        assert set(s) >= {"precision", "recall", "median_delay_s", "p95_delay_s", "baseline"}
        assert 0.0 <= s["precision"] <= 1.0, name
        assert 0.0 <= s["recall"] <= 1.0, name
        assert s["entrapments"] == 4
    # a load cell finds every entrapment of this small run; dead presence without a
    # load cell finds none by evidence (the possible entrapments cover it)
    assert doc["sweep"]["flicker/load/periodic"]["recall"] == 1.0
    assert doc["sweep"]["dead/no_load/duplicated"]["recall"] <= 0.5


def test_every_elevator_records_its_profile_and_the_models_behave() -> None:
    e = generate_fleet(1, 1).elevators[0]
    run = true_run(e, 2, seed=1, warmup_s=600.0)
    st = run.status
    rng = np.random.default_rng(0)
    stuck = presence_reading(PresenceModel.STUCK_ON, st.ts_ms, st.passenger, st.car, st.door, rng)
    dead = presence_reading(PresenceModel.DEAD, st.ts_ms, st.passenger, st.car, st.door, rng)
    motion = presence_reading(PresenceModel.MOTION, st.ts_ms, st.passenger, st.car, st.door, rng)
    assert stuck.all()
    assert not dead.any()
    assert not (motion & ~st.passenger).any()  # a motion sensor never sees an empty car
    assert 0.2 < motion[st.passenger].mean() < 0.9  # and misses a still occupant
    periodic = deliveries(st, SensorProfile(reporting=Reporting.PERIODIC), rng)
    assert set(np.diff(st.ts_ms[periodic.index]).tolist()) == {5000}
    dup = deliveries(st, SensorProfile(reporting=Reporting.DUPLICATED), rng)
    assert len(dup.index) > len(periodic.index)
    assert bool((np.diff(st.ts_ms[dup.index]) < 0).any())  # delivered out of order
    assert SensorProfile(PresenceModel.DEAD, False, Reporting.SPARSE).cell == (
        "dead/no_load/sparse"
    )
