"""Benchmark of the synthetic fleet: generation, saving, fault history, scenario mode.

- generate_s: `generate_fleet(N, seed)` (default 250,000 elevators);
- save_s: `save_fleet` into a fresh database on LIFTWATCH_DATABASE_URL's server (binary
  COPY into empty tables), resave_s the idempotent re-seed (staging + upsert);
  skipped (null) without LIFTWATCH_DATABASE_URL;
- history_s: `simulate_fault_history` over 180 days for the whole fleet;
- scenario_s_per_100_elevator_days: evaluation-mode scenario for 20 elevators x 1 day
  (window 6 h), scaled to 100 elevator-days, with the samples produced.

Usage: python bench/fleet.py [--elevators 250000] [--seed 1]
Prints its figures, one JSON line last.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import date
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from domain.fleet import Fleet
from fleet.repository import save_fleet
from simulators.fleet import generate_fleet
from simulators.risk import simulate_fault_history
from simulators.scenario import ScenarioConfig, run_scenario
from storage.scratch import create_database


def _save(fleet: Fleet, url: str) -> tuple[float, float]:
    scratch = create_database(url, "bench_fleet")
    try:
        with psycopg.connect(scratch.url) as conn:
            t = time.perf_counter()
            save_fleet(conn, fleet)
            conn.commit()
            save_s = time.perf_counter() - t
            t = time.perf_counter()
            save_fleet(conn, fleet)
            conn.commit()
            return save_s, time.perf_counter() - t
    finally:
        scratch.drop()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--elevators", type=int, default=250_000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    as_of = date(2026, 1, 1)

    t = time.perf_counter()
    fleet = generate_fleet(args.elevators, args.seed, as_of)
    generate_s = time.perf_counter() - t
    print(f"generated {len(fleet.elevators)} elevators in {generate_s:.2f} s", file=sys.stderr)

    save_s = resave_s = None
    url = os.environ.get("LIFTWATCH_DATABASE_URL")
    if url:
        save_s, resave_s = _save(fleet, url)
        print(f"saved in {save_s:.2f} s, re-seeded in {resave_s:.2f} s", file=sys.stderr)

    t = time.perf_counter()
    history = simulate_fault_history(fleet, as_of, 180, args.seed)
    history_s = time.perf_counter() - t
    print(f"{len(history)} faults over 180 days in {history_s:.2f} s", file=sys.stderr)

    small = Fleet(fleet.companies, fleet.user_units, fleet.elevators[:20], [], [])
    cfg = ScenarioConfig(seed=args.seed, duration_s=86_400, evaluation=True, window_s=21_600)
    t = time.perf_counter()
    samples = sum(len(r.status) for r in run_scenario(small, cfg))
    scen_s = time.perf_counter() - t

    print(json.dumps({
        "elevators": len(fleet.elevators),
        "generate_s": round(generate_s, 2),
        "save_s": round(save_s, 2) if save_s is not None else None,
        "resave_s": round(resave_s, 2) if resave_s is not None else None,
        "history_faults": len(history),
        "history_s": round(history_s, 2),
        "scenario_s_per_100_elevator_days": round(scen_s * 100 / 20, 2),
        "scenario_samples_per_elevator_day": samples // 20,
        "load_avg_1m": round(os.getloadavg()[0], 2),
    }))  # fmt: skip


if __name__ == "__main__":
    main()
