"""Benchmark of the demo's history seeding (default: the demo's 2,000 elevators x 1 year).

Generates the fleet, saves it into a fresh database on the server of
LIFTWATCH_DATABASE_URL, then measures:

- generate_s / write_s / seed_s: `evaluation.history.seed_history` (generation in
  numpy, COPY into alarms, rescue cases and their timelines, maintenance records);
- reseed_s: the second call (a second demo start), which must write nothing;
- score_s: the score job's first run on that history;
- due_share: the share of elevators the map marks "maintenance due" afterwards (any
  plan level due by today), and overdue_share (past due).

Usage: python bench/history.py [--elevators 2000] [--days 365] [--keep]
Prints its figures, one JSON line last.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from evaluation.history import seed_history
from fleet.repository import load_fleet, save_fleet
from maintenance.config import ScoreSettings
from maintenance.jobs import recompute
from simulators.fleet import generate_fleet
from storage.scratch import create_database


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--elevators", type=int, default=2000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", action="store_true", help="keep the benchmark database")
    args = ap.parse_args()
    server = os.environ.get("LIFTWATCH_DATABASE_URL")
    if not server:
        sys.exit("set LIFTWATCH_DATABASE_URL")
    scratch = create_database(server, "lw_bench_history")
    try:
        now = datetime.now(UTC)
        with psycopg.connect(scratch.url) as conn:
            save_fleet(conn, generate_fleet(args.elevators, args.seed))
            conn.commit()
            fleet = load_fleet(conn)
            t = time.perf_counter()
            report = seed_history(conn, fleet, args.seed, now, days=args.days)
            seed_s = time.perf_counter() - t
            t = time.perf_counter()
            again = seed_history(conn, fleet, args.seed, now)
            reseed_s = time.perf_counter() - t
        with psycopg.connect(scratch.url, autocommit=True) as conn:
            t = time.perf_counter()
            recompute(conn, ScoreSettings())
            score_s = time.perf_counter() - t
            row = conn.execute(
                """SELECT count(DISTINCT elevator_id) FILTER (WHERE next_due <= d),
                          count(DISTINCT elevator_id) FILTER (WHERE next_due < d)
                   FROM maintenance_plans,
                        LATERAL (SELECT (now() AT TIME ZONE 'Asia/Shanghai')::date AS d) t"""
            ).fetchone()
        assert row is not None
        figures = {
            "elevators": args.elevators,
            "days": args.days,
            "maintenance_records": report.visits,
            "alarms": report.alarms,
            "rescue_cases": report.cases,
            "case_events": report.case_events,
            "rows": report.rows,
            "generate_s": round(report.generate_s, 3),
            "write_s": round(report.write_s, 3),
            "seed_s": round(seed_s, 3),
            "reseed_rows": again.rows,
            "reseed_s": round(reseed_s, 3),
            "score_s": round(score_s, 3),
            "due_share": round(int(row[0]) / args.elevators, 4),
            "overdue_share": round(int(row[1]) / args.elevators, 4),
        }
        for k, v in figures.items():
            print(f"{k:>20}: {v}")
        print(json.dumps(figures))
    finally:
        if not args.keep:
            scratch.drop()


if __name__ == "__main__":
    main()
