"""Benchmark of the 3+2 score job on a city fleet (default 250,000 elevators).

Generates the fleet with the simulator, saves it into a fresh database on the server of
LIFTWATCH_DATABASE_URL, adds synthetic inputs (terminal status, 90 days of simulated
faults as alarms, maintenance records, rescue cases, a condition index), then measures:

- compute_s: the numpy part (score, policy, due dates) on the fleet arrays, best of 3;
- recompute_first_s: `liftwatch score` end to end into empty score/plan tables;
- recompute_s: the daily run (the next day, tables filled), reads + compute + writes.

Usage: python bench/score.py [--elevators 250000] [--keep]
Prints its figures, one JSON line last.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analytics.score import score
from fleet.repository import save_fleet
from maintenance.config import ScoreSettings
from maintenance.facts import assemble_facts
from maintenance.jobs import read_facts, recompute
from maintenance.plans import score_fleet
from maintenance.policy import to_day
from simulators.fleet import generate_fleet
from simulators.risk import simulate_fault_history
from storage.scratch import create_database


def seed(url: str, n: int, day0: datetime) -> dict[str, float]:
    t = time.perf_counter()
    fleet = generate_fleet(n, 11, day0.date())
    t_gen = time.perf_counter() - t
    with psycopg.connect(url) as conn:
        save_fleet(conn, fleet)
        conn.commit()
    t_save = time.perf_counter() - t - t_gen
    faults = simulate_fault_history(fleet, day0.date() - timedelta(days=90), 90, 12)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            """INSERT INTO elevator_status (elevator_id, ts, seq, car, dir, floor, door_zone,
                   door, passenger, mode, power, online)
               SELECT id, %s, 1, 0, 0, 1, true, 0, false, 1, 0, random() > 0.03
               FROM elevators""",
            (day0,),
        )
        with (
            conn.cursor() as cur,
            cur.copy(
                "COPY alarms (elevator_id, type, severity, state, source, opened_at, last_seen_at,"
                " resolved_at) FROM STDIN"
            ) as copy,
        ):
            for g in faults:
                opened = datetime.fromtimestamp(g.start_ms / 1000, UTC)
                ended = datetime.fromtimestamp(g.end_ms / 1000, UTC)
                copy.write_row(
                    (g.elevator_id, g.kind, 2, "resolved", "bench", opened, ended, ended)
                )
        # Maintenance history: every level last done some time ago (a few overdue), with
        # due dates so that companies have an on-time rate.
        conn.execute(
            """INSERT INTO maintenance_records (elevator_id, company_id, level, technician,
                   started_at, ended_at, items, due_date)
               SELECT e.id, e.company_id, l.level, 'bench',
                      %(d0)s - make_interval(days => d.ago) - interval '1 hour',
                      %(d0)s - make_interval(days => d.ago), '["A1"]',
                      (%(d0)s - make_interval(days => d.ago))::date
                          + CASE WHEN random() < 0.05 THEN -2 ELSE 1 END
               FROM elevators e
               CROSS JOIN (VALUES ('half_monthly', 16), ('quarterly', 92),
                                  ('half_yearly', 184), ('yearly', 367)) AS l(level, period)
               CROSS JOIN LATERAL (SELECT (random() * l.period + 0 * e.id)::int AS ago) d""",
            {"d0": day0},
        )
        conn.execute(
            """INSERT INTO rescue_cases (elevator_id, source, state, trapped_since, reported_at,
                   arrived_at)
               SELECT id, 'hotline', 'closed', %(d0)s - make_interval(days => (id %% 300)),
                      %(d0)s - make_interval(days => (id %% 300)),
                      %(d0)s - make_interval(days => (id %% 300))
                          + make_interval(mins => 5 + (random() * 25)::int)
               FROM elevators WHERE id %% 50 = 0""",
            {"d0": day0},
        )
        conn.execute(
            """INSERT INTO elevator_condition (elevator_id, condition_index, anomalies_30d,
                   anomalies_90d, computed_at)
               SELECT elevator_id, greatest(0, least(100, 100 * (1 - condition)
                          + 10 * (random() + random() + random() - 1.5))),
                      (random() < 0.05)::int, (random() < 0.1)::int, %s
               FROM sim_elevator_condition WHERE random() < 0.9""",
            (day0,),
        )
        conn.execute("ANALYZE")
    return {"generate_s": t_gen, "save_s": t_save, "alarms": float(len(faults))}


def _parts(timings: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:.2f}" for k, v in timings.items())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--elevators", type=int, default=250_000)
    ap.add_argument("--keep", action="store_true", help="keep the benchmark database")
    args = ap.parse_args()
    server = os.environ.get("LIFTWATCH_DATABASE_URL")
    if not server:
        sys.exit('set LIFTWATCH_DATABASE_URL (e.g. eval "$(scripts/services start)")')
    scratch = create_database(server, "lw_bench_score")
    url = scratch.url
    settings = ScoreSettings()
    day0 = datetime.now(UTC).replace(hour=2, minute=0, second=0, microsecond=0)
    try:
        seeded = seed(url, args.elevators, day0)
        print(
            f"seeded {args.elevators} elevators (generate {seeded['generate_s']:.1f} s, save"
            f" {seeded['save_s']:.1f} s), {int(seeded['alarms'])} alarms",
            file=sys.stderr,
        )
        with psycopg.connect(url, autocommit=True) as conn:
            facts = read_facts(conn, day0)
            inputs = assemble_facts(facts).inputs
            best_score = best_all = float("inf")
            for _ in range(3):
                t = time.perf_counter()
                score(inputs, settings.weights, settings.grade_bands)
                best_score = min(best_score, time.perf_counter() - t)
                t = time.perf_counter()
                score_fleet(facts, settings, to_day(day0.date()))
                best_all = min(best_all, time.perf_counter() - t)
            first = recompute(conn, settings, day0)
            daily = recompute(conn, settings, day0 + timedelta(days=1))
        for label, r in (("first run", first), ("daily run", daily)):
            print(
                f"{label}: {r.total_s:.2f} s (read {r.read_s:.2f}, compute {r.compute_s:.3f},"
                f" write {r.write_s:.2f}: {_parts(r.timings)});"
                f" grades {r.grades}, eligible {r.eligible}, scores written {r.scores_written},"
                f" plans written {r.plans_changed},"
                f" work orders opened {r.work_orders_opened}, overdue {r.overdue_elevators}",
                file=sys.stderr,
            )
        print(
            f"numpy: score {best_score:.3f} s, score+policy+dates {best_all:.3f} s", file=sys.stderr
        )
        load1 = os.getloadavg()[0]
        out: dict[str, Any] = {
            "elevators": args.elevators,
            "compute_s": round(best_all, 4),
            "score_only_s": round(best_score, 4),
            "recompute_s": round(daily.total_s, 2),
            "recompute_first_s": round(first.total_s, 2),
            "read_s": round(daily.read_s, 2),
            "write_s": round(daily.write_s, 2),
            "scores_written": daily.scores_written,
            "plans_written": daily.plans_changed,
            "load1": round(load1, 2),
            "cores": os.cpu_count(),
        }
        print(json.dumps(out))
    finally:
        if not args.keep:
            scratch.drop()


if __name__ == "__main__":
    main()
