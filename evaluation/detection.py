"""Detector evaluation: replay simulated elevator-days (scenario mode, evaluation rates)
through the detectors and the naive baseline; score both against ground truth.

Generation and replay run in worker processes (each elevator's scenario is generated
and replayed in the same worker); detector throughput is the time spent inside the
detectors only (single-threaded per worker; scenario generation excluded). The CLI is
``liftwatch eval detect`` (:mod:`liftwatch.commands.detect_eval`).
"""

from __future__ import annotations

import bisect
import multiprocessing
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from analytics.config import DetectionSettings
from analytics.detectors import ElevatorSpec, FleetDetector
from analytics.detectors.model import take_samples
from analytics.evaluation import FiredAlarm, TypeScore, evaluate, fired_alarms
from domain.fleet import Elevator, Fleet
from domain.groundtruth import GroundTruth
from simulators.fleet import generate_fleet
from simulators.scenario import ElevatorRun, ScenarioConfig, run_scenario

DAY_S = 86_400.0


def spec_of(e: Elevator) -> ElevatorSpec:
    return ElevatorSpec.of(e.rated_speed, e.lowest_floor, e.floors, e.report_interval_s)


@dataclass(frozen=True)
class Job:
    """One worker's share: every ``stride``-th elevator of the fleet from ``first``."""

    elevators: int
    seed: int
    first: int
    stride: int
    days: float
    per_day: float
    chunk_s: int
    settings: dict[str, Any]


@dataclass
class Part:
    """What one worker found."""

    alarms: list[FiredAlarm] = field(default_factory=list)
    baseline: list[FiredAlarm] = field(default_factory=list)
    truth: list[GroundTruth] = field(default_factory=list)
    samples: int = 0
    detect_s: float = 0.0
    generate_s: float = 0.0
    late: int = 0


@dataclass(frozen=True)
class DetectionEvaluation:
    """Scores of the detectors (``ours``) and the naive baseline, with the run's figures."""

    ours: dict[str, TypeScore]
    baseline: dict[str, TypeScore]
    samples: int
    samples_per_s: float
    detect_s: float
    generate_s: float
    elevator_days: float
    lookalikes: dict[str, int]
    late: int


def replay(det: FleetDetector, run: ElevatorRun, chunk_ms: int) -> tuple[list[FiredAlarm], float]:
    """Feed one elevator's run in event-time chunks; returns its alarms and the time spent."""
    st = run.status
    if len(st) == 0:
        return [], 0.0
    ts = st.ts_ms
    events = sorted(run.events, key=lambda e: e.ts)
    ev_ts = [e.ts for e in events]
    out = []
    spent = 0.0
    t0 = int(ts[0])
    t_end = int(ts[-1])
    lo = 0
    while t0 <= t_end:
        t1 = t0 + chunk_ms
        hi = int(ts.searchsorted(t1, side="left"))
        e0, e1 = bisect.bisect_left(ev_ts, t0), bisect.bisect_left(ev_ts, t1)
        if t1 > t_end:
            e1 = len(events)
        part = take_samples(st, np.arange(lo, hi)) if (lo, hi) != (0, len(st)) else st
        start = time.perf_counter()
        out.extend(det.process(part, events[e0:e1]))
        spent += time.perf_counter() - start
        lo = hi
        t0 = t1
    return fired_alarms(out), spent


def _share(fleet: Fleet, job: Job) -> Fleet:
    return Fleet(
        companies=fleet.companies,
        user_units=fleet.user_units,
        elevators=fleet.elevators[job.first :: job.stride],
        stations=fleet.stations,
        rescuers=fleet.rescuers,
    )


def work(job: Job) -> Part:
    """Generate one worker's elevators and replay each through both detectors."""
    fleet = _share(generate_fleet(job.elevators, job.seed), job)
    cfg = ScenarioConfig(
        seed=job.seed, duration_s=job.days * DAY_S, evaluation=True, eval_per_day=job.per_day
    )
    settings = DetectionSettings(**job.settings)
    specs = {e.id: spec_of(e) for e in fleet.elevators}
    ours = FleetDetector(settings, specs)
    naive = FleetDetector(settings, specs, naive=True)
    part = Part()
    started = time.perf_counter()
    for run in run_scenario(fleet, cfg):
        alarms, spent = replay(ours, run, job.chunk_s * 1000)
        baseline, _ = replay(naive, run, job.chunk_s * 1000)
        part.alarms += alarms
        part.baseline += baseline
        part.truth += run.truth
        part.samples += len(run.status)
        part.detect_s += spent
    part.generate_s = time.perf_counter() - started - part.detect_s
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
) -> DetectionEvaluation:
    """Precision, recall and delay per fault type for the detectors and the baseline."""
    s = (settings or DetectionSettings()).model_dump()
    jobs = [Job(elevators, seed, w, workers, days, per_day, chunk_s, s) for w in range(workers)]
    if workers == 1:
        parts = [work(jobs[0])]
    else:
        with multiprocessing.get_context("spawn").Pool(workers) as pool:
            parts = pool.map(work, jobs)
    truth = [g for p in parts for g in p.truth]
    detect_s = sum(p.detect_s for p in parts)
    samples = sum(p.samples for p in parts)
    lookalikes: dict[str, int] = {}
    for g in truth:
        if not g.is_fault:
            lookalikes[g.kind] = lookalikes.get(g.kind, 0) + 1
    return DetectionEvaluation(
        ours=evaluate([a for p in parts for a in p.alarms], truth),
        baseline=evaluate([a for p in parts for a in p.baseline], truth),
        samples=samples,
        samples_per_s=samples / detect_s if detect_s else 0.0,
        detect_s=detect_s,
        generate_s=sum(p.generate_s for p in parts),
        elevator_days=elevators * days,
        lookalikes=lookalikes,
        late=sum(p.late for p in parts),
    )


def false_alarms(scores: dict[str, TypeScore]) -> int:
    return sum(s.false_positives for s in scores.values())


def summary_json(result: DetectionEvaluation) -> dict[str, Any]:
    """The one JSON line of the run: per type precision, recall, median and p95 delay."""
    keys = ("precision", "recall", "median_delay_s", "p95_delay_s")

    def pick(scores: dict[str, TypeScore]) -> dict[str, Any]:
        return {t: {k: s.summary()[k] for k in keys} for t, s in sorted(scores.items())}

    return {
        **pick(result.ours),
        "baseline": pick(result.baseline),
        "false_alarms": false_alarms(result.ours),
        "baseline_false_alarms": false_alarms(result.baseline),
        "samples": result.samples,
        "samples_per_s": round(result.samples_per_s),
        "elevator_days": result.elevator_days,
        "faults": {t: s.faults for t, s in sorted(result.ours.items()) if s.faults},
        "lookalikes": result.lookalikes,
    }
