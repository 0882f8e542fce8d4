"""How long saving and loading the detectors' learned sensor health takes for a fleet.

Creates (and drops) its own database on LIFTWATCH_DATABASE_URL, registers the
elevators, has a detect stage learn each one's health from `--samples` status samples
(doors closed, one in ten presence sensors stuck on, a load cell with an empty-car
offset), then times, `--repeat` times each (median): taking the snapshots, saving them
(one batched upsert per 10,000), the save of one writer turn (`HEALTH_SAVE_CHUNK`
snapshots: how long an alarm may wait behind it), the save on a clean stop
(`DetectStage.save_health`), a whole periodic save by the writer thread (due to all
saved, in chunks between alarm writes), reading them back for a restore, and
`DetectStage.restore` of every elevator with an empty replay window (read + load).
Checks the loaded health equals what was saved. Prints one JSON line last.

    .venv/bin/python bench/health.py [--elevators 20000 --samples 40 --repeat 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # bench/ingest.py shadows ingest

from analytics.config import DetectionSettings
from domain.codes import CAR_STATUS_IDS, DOOR_STATE_IDS, CarStatus, DoorState
from domain.samples import StatusColumns
from ingest.config import RecoverySettings
from ingest.detect_stage import HEALTH_SAVE_CHUNK, REPLAY_CHUNK, DetectStage
from ingest.repository.elevators import seed_elevators
from ingest.repository.sensor_health import fetch_sensor_health, save_sensor_health
from storage.scratch import create_database


def _history(elevators: int, samples: int) -> tuple[np.ndarray[Any, Any], StatusColumns]:
    """Parked cars, doors closed, a sample every 5 s ending a minute ago, per elevator."""
    ids = np.repeat(np.arange(1, elevators + 1, dtype=np.int64), samples)
    n = ids.shape[0]
    step = np.tile(np.arange(samples, dtype=np.int64), elevators)
    ts = int(time.time() * 1000) - 60_000 - (samples - step) * 5_000
    rng = np.random.default_rng(7)
    load = (20.0 + ids % 40 + rng.normal(0.0, 2.0, n)).astype(np.float32)
    cols = StatusColumns(
        elevator_id=-1, ts_ms=ts.astype(np.int64), seq=step,
        car=np.full(n, CAR_STATUS_IDS[CarStatus.STOPPED], np.int8), dir=np.zeros(n, np.int8),
        floor=np.ones(n, np.int16), door_zone=np.ones(n, np.bool_),
        door=np.full(n, DOOR_STATE_IDS[DoorState.CLOSED], np.int8),
        passenger=ids % 10 == 0, mode=np.zeros(n, np.int8), power=np.zeros(n, np.int8),
        speed=np.zeros(n, np.float32), load=load, leveling_mm=np.zeros(n, np.float32),
        run_hours=np.zeros(n, np.float32), runs=np.zeros(n, np.int32),
        door_cycles=np.zeros(n, np.int32),
    )  # fmt: skip
    return ids, cols


def _median_s(call: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        call()
        times.append(time.perf_counter() - began)
    return round(statistics.median(times), 4)


def _read_all(url: str, ids: list[int]) -> dict[int, dict[str, Any]]:
    out: dict[int, dict[str, Any]] = {}
    with psycopg.connect(url, autocommit=True) as conn:
        for first in range(0, len(ids), REPLAY_CHUNK):
            out.update(fetch_sensor_health(conn, ids[first : first + REPLAY_CHUNK]))
    return out


def _save(url: str, snapshots: dict[int, Any]) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        save_sensor_health(conn, snapshots)


def _writer_cycle(stage: DetectStage) -> None:
    """Make the periodic save due now and wait until the writer thread has saved all."""
    before = stage.health_counts["saved"]
    target = before + len(stage.fleet.detectors)
    stage._health_next = 0.0
    deadline = time.monotonic() + 120
    while stage.health_counts["saved"] < target and time.monotonic() < deadline:
        time.sleep(0.01)
    if stage.health_counts["saved"] < target:
        raise RuntimeError("the writer thread did not save the health in 120 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--elevators", type=int, default=20_000)
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    scratch = create_database(os.environ["LIFTWATCH_DATABASE_URL"], "lw_bench_health")
    try:
        with psycopg.connect(scratch.url) as conn:
            seed_elevators(conn, args.elevators)
        recovery = RecoverySettings(health_save_every_s=86_400)
        stage = DetectStage(DetectionSettings(), scratch.url, None, recovery=recovery)
        stage.start(recover=False)
        try:
            ids, cols = _history(args.elevators, args.samples)
            stage.fleet.process_many(ids, cols)
            stage.fleet.drain()
            snapshots = stage.fleet.health_snapshots()
            reports = [stage.fleet.health(e) for e in snapshots]
            stuck = sum(1 for r in reports if r is not None and r.presence == "stuck_on")
            result: dict[str, Any] = {
                "bench": "health", "elevators": args.elevators, "snapshots": len(snapshots),
                "stuck_on": stuck,
                "snapshot_s": _median_s(stage.fleet.health_snapshots, args.repeat),
                "upsert_s": _median_s(lambda: _save(scratch.url, snapshots), args.repeat),
                "save_health_s": _median_s(stage.save_health, args.repeat),
            }  # fmt: skip
            chunk = dict(list(snapshots.items())[:HEALTH_SAVE_CHUNK])
            result["writer_turn_s"] = _median_s(lambda: _save(scratch.url, chunk), args.repeat)
            result["writer_cycle_s"] = _median_s(lambda: _writer_cycle(stage), args.repeat)
            every = sorted(snapshots)
            result["read_s"] = _median_s(lambda: _read_all(scratch.url, every), args.repeat)
            now = int(time.time() * 1000)
            result["restore_empty_window_s"] = _median_s(
                lambda: stage.restore(None, now - 1_000, now), args.repeat
            )
            result["loaded"] = stage.health_counts["loaded"] // args.repeat
            result["loaded_equal_saved"] = stage.fleet.health_snapshots() == snapshots
            with psycopg.connect(scratch.url) as conn:
                size = conn.execute("SELECT pg_total_relation_size('sensor_health')").fetchone()
            result["table_bytes"] = size[0] if size else None
        finally:
            stage.stop()
    finally:
        scratch.drop()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
