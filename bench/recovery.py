"""How long the detectors take to recover: `DetectStage.restore` replaying stored
telemetry (the restart of `liftwatch ingest`, a detector worker taking elevators over).

Creates (and drops) its own database on LIFTWATCH_DATABASE_URL, registers the
elevators, stores `--minutes` of status samples every `--interval` seconds for each
(one in 50 elevators stuck with a passenger between floors, so the replay raises real
alarms), then times the replay. Prints one JSON line: elevators, samples, seconds,
samples_per_s, alarms_raised (of entrapments_expected).

    .venv/bin/python bench/recovery.py [--elevators 2000 --minutes 10 --interval 5]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # bench/ingest.py shadows ingest

from analytics.config import DetectionSettings
from ingest.detect_stage import DetectStage
from ingest.repository.elevators import seed_elevators
from storage.scratch import create_database

# Synthetic samples: every elevator idles at floor 1 (door zone, doors closed, empty);
# every 50th has a passenger and stopped between floors from the start.
_FILL = """
INSERT INTO telemetry (ts, elevator_id, seq, received_at, car, dir, floor, door_zone, door,
                       passenger, mode, power, speed, load, leveling_mm, run_hours, runs,
                       door_cycles)
SELECT now() - make_interval(secs => %(span)s) + make_interval(secs => i * %(interval)s),
       e.id, i, now(), 0, 0, CASE WHEN e.id %% 50 = 0 THEN 5 ELSE 1 END,
       e.id %% 50 <> 0, 0, e.id %% 50 = 0, 0, 0, 0, 0, 0, 0, 0, 0
FROM elevators e, generate_series(0, %(count)s - 1) AS i
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--elevators", type=int, default=2_000)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--interval", type=float, default=5.0)
    args = parser.parse_args()
    server = os.environ["LIFTWATCH_DATABASE_URL"]
    scratch = create_database(server, "lw_bench_recovery")
    try:
        span_s = args.minutes * 60
        count = int(span_s / args.interval)
        with psycopg.connect(scratch.url) as conn:
            seed_elevators(conn, args.elevators)
            conn.execute(
                "SELECT liftwatch_ensure_telemetry_partitions(current_date - 1, current_date)"
            )
            conn.execute(_FILL, {"span": span_s, "interval": args.interval, "count": count})
        stage = DetectStage(DetectionSettings(), scratch.url, None)
        stage.start(recover=False)
        try:
            now = int(time.time() * 1000)
            began = time.perf_counter()
            samples = stage.restore(None, now - int(span_s * 1000) - 1_000, now)
            seconds = time.perf_counter() - began
            trapped = args.elevators // 50
            deadline = time.monotonic() + 30
            while stage.counts["raised"] < trapped and time.monotonic() < deadline:
                time.sleep(0.1)
        finally:
            stage.stop()
    finally:
        scratch.drop()
    result = {
        "bench": "recovery", "elevators": args.elevators, "samples": samples,
        "seconds": round(seconds, 2), "samples_per_s": round(samples / seconds),
        "entrapments_expected": trapped, "alarms_raised": stage.counts["raised"],
    }  # fmt: skip
    print(json.dumps(result))


if __name__ == "__main__":
    main()
