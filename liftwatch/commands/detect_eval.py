"""`liftwatch eval detect`: replay simulated elevator-days (scenario mode, evaluation
rates) through the detectors and the naive baseline; score both against ground truth.

Generation and replay run in worker processes (each elevator's scenario is generated
and replayed in the same worker); detector throughput is the time spent inside the
detectors only (single-threaded per worker; scenario generation excluded).
"""

from __future__ import annotations

import bisect
import json
import multiprocessing
import time
from dataclasses import dataclass, field
from typing import Annotated, Any

import numpy as np
import typer
from rich.console import Console
from rich.table import Table

from analytics.config import DetectionSettings
from analytics.detectors import ElevatorSpec, FleetDetector
from analytics.detectors.model import take_samples as _take
from analytics.evaluation import FiredAlarm, TypeScore, evaluate, fired_alarms
from domain.fleet import Elevator
from domain.groundtruth import GroundTruth

DAY_S = 86_400.0


def spec_of(e: Elevator) -> ElevatorSpec:
    return ElevatorSpec.of(e.rated_speed, e.lowest_floor, e.floors, e.report_interval_s)


@dataclass
class Part:
    alarms: list[FiredAlarm] = field(default_factory=list)
    baseline: list[FiredAlarm] = field(default_factory=list)
    truth: list[GroundTruth] = field(default_factory=list)
    samples: int = 0
    detect_s: float = 0.0
    generate_s: float = 0.0
    late: int = 0


def _replay(det: FleetDetector, run: Any, chunk_ms: int) -> tuple[list[FiredAlarm], float]:
    """Feed one elevator's run in event-time chunks; returns its alarms and the time spent."""
    st = run.status
    ts = st.ts_ms
    events = sorted(run.events, key=lambda e: e.ts)
    ev_ts = [e.ts for e in events]
    out = []
    spent = 0.0
    if len(st) == 0:
        return [], 0.0
    t0 = int(ts[0])
    t_end = int(ts[-1])
    lo = 0
    while t0 <= t_end:
        t1 = t0 + chunk_ms
        hi = int(ts.searchsorted(t1, side="left"))
        e0, e1 = bisect.bisect_left(ev_ts, t0), bisect.bisect_left(ev_ts, t1)
        if t1 > t_end:
            e1 = len(events)
        part = _take(st, np.arange(lo, hi)) if (lo, hi) != (0, len(st)) else st
        start = time.perf_counter()
        out.extend(det.process(part, events[e0:e1]))
        spent += time.perf_counter() - start
        lo = hi
        t0 = t1
    return fired_alarms(out), spent


def _work(args: tuple[int, int, int, float, float, int, dict[str, Any]]) -> Part:
    from simulators.fleet import generate_fleet
    from simulators.scenario import ScenarioConfig, run_scenario

    n, seed, index0, days, per_day, chunk_s, settings = args
    fleet = generate_fleet(n, seed)
    sub = fleet.elevators[index0 :: settings.pop("_stride")]
    cfg = ScenarioConfig(seed=seed, duration_s=days * DAY_S, evaluation=True, eval_per_day=per_day)
    s = DetectionSettings(**settings)
    specs = {e.id: spec_of(e) for e in sub}
    part = Part()
    ours = FleetDetector(s, specs)
    naive = FleetDetector(s, specs, naive=True)
    from domain.fleet import Fleet

    small = Fleet(
        companies=fleet.companies, user_units=fleet.user_units, elevators=sub,
        stations=fleet.stations, rescuers=fleet.rescuers,
    )  # fmt: skip
    gen_start = time.perf_counter()
    detect = 0.0
    for run in run_scenario(small, cfg):
        a, spent = _replay(ours, run, chunk_s * 1000)
        b, _ = _replay(naive, run, chunk_s * 1000)
        part.alarms += a
        part.baseline += b
        part.truth += run.truth
        part.samples += len(run.status)
        detect += spent
    part.generate_s = time.perf_counter() - gen_start - detect
    part.detect_s = detect
    part.late = sum(d.late for d in ours.detectors.values())
    return part


def run_evaluation(
    elevators: int,
    days: float,
    seed: int = 7,
    per_day: float = 2.0,
    workers: int = 2,
    chunk_s: int = 3600,
    settings: DetectionSettings | None = None,
) -> dict[str, Any]:
    s = (settings or DetectionSettings()).model_dump()
    jobs = []
    for w in range(workers):
        job_settings = dict(s, _stride=workers)
        jobs.append((elevators, seed, w, days, per_day, chunk_s, job_settings))
    if workers == 1:
        parts = [_work(jobs[0])]
    else:
        with multiprocessing.get_context("spawn").Pool(workers) as pool:
            parts = pool.map(_work, jobs)
    truth = [g for p in parts for g in p.truth]
    ours = evaluate([a for p in parts for a in p.alarms], truth)
    base = evaluate([a for p in parts for a in p.baseline], truth)
    samples = sum(p.samples for p in parts)
    detect_s = sum(p.detect_s for p in parts)
    lookalikes: dict[str, int] = {}
    for g in truth:
        if not g.is_fault:
            lookalikes[g.kind] = lookalikes.get(g.kind, 0) + 1
    return {
        "ours": ours,
        "baseline": base,
        "samples": samples,
        "samples_per_s": samples / detect_s if detect_s else 0.0,
        "detect_s": detect_s,
        "generate_s": sum(p.generate_s for p in parts),
        "elevator_days": elevators * days,
        "lookalikes": lookalikes,
        "late": sum(p.late for p in parts),
    }


def _false_alarms(scores: dict[str, TypeScore]) -> int:
    return sum(s.false_positives for s in scores.values())


def summary_json(result: dict[str, Any]) -> dict[str, Any]:
    ours: dict[str, TypeScore] = result["ours"]
    base: dict[str, TypeScore] = result["baseline"]
    keys = ("precision", "recall", "median_delay_s", "p95_delay_s")

    def pick(scores: dict[str, TypeScore]) -> dict[str, Any]:
        return {t: {k: s.summary()[k] for k in keys} for t, s in sorted(scores.items())}

    return {
        **pick(ours),
        "baseline": pick(base),
        "false_alarms": _false_alarms(ours),
        "baseline_false_alarms": _false_alarms(base),
        "samples": result["samples"],
        "samples_per_s": round(result["samples_per_s"]),
        "elevator_days": result["elevator_days"],
        "faults": {t: s.faults for t, s in sorted(ours.items()) if s.faults},
        "lookalikes": result["lookalikes"],
    }


def print_table(result: dict[str, Any], console: Console) -> None:
    ours: dict[str, TypeScore] = result["ours"]
    base: dict[str, TypeScore] = result["baseline"]
    t = Table(title=f"detectors vs naive baseline, {result['elevator_days']:g} elevator-days")
    for c in ("type", "faults", "alarms", "precision", "recall", "median s", "p95 s",
              "base prec", "base rec", "base false", "false on look-alikes"):  # fmt: skip
        t.add_column(c)
    for name in sorted(set(ours) | set(base)):
        o = ours.get(name, TypeScore())
        b = base.get(name, TypeScore())
        looks = ", ".join(f"{k} {v}" for k, v in sorted(o.on_lookalike.items()))
        t.add_row(
            name, str(o.faults), str(o.alarms), f"{o.precision:.3f}", f"{o.recall:.3f}",
            str(o.delay_s(50)), str(o.delay_s(95)), f"{b.precision:.3f}", f"{b.recall:.3f}",
            str(b.false_positives), looks,
        )  # fmt: skip
    console.print(t)
    console.print(
        f"false alarms: detectors {_false_alarms(ours)}, baseline {_false_alarms(base)}; "
        f"{result['samples']:,} samples, detector throughput "
        f"{result['samples_per_s']:,.0f} samples/s (generation {result['generate_s']:.0f} s "
        f"CPU excluded)"
    )


def eval_detect_cmd(
    elevators: Annotated[int, typer.Option(help="simulated elevators")] = 1000,
    days: Annotated[float, typer.Option(help="simulated days per elevator")] = 2.0,
    seed: Annotated[int, typer.Option()] = 7,
    per_day: Annotated[float, typer.Option(help="episodes of each kind per elevator-day")] = 2.0,
    workers: Annotated[int, typer.Option(help="worker processes")] = 2,
    chunk_s: Annotated[int, typer.Option(help="replay chunk length (event-time s)")] = 3600,
) -> None:
    """Precision, recall and delay per fault type for the detectors and the naive baseline."""
    result = run_evaluation(elevators, days, seed, per_day, workers, chunk_s)
    print_table(result, Console(stderr=True, width=170))
    typer.echo(json.dumps(summary_json(result)))


def register(app: typer.Typer, groups: dict[str, typer.Typer]) -> None:
    groups["eval"].command("detect")(eval_detect_cmd)
