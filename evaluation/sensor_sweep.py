"""The sensor sweep: entrapment detection for every presence model x load cell present
or absent x reporting pattern (``liftwatch eval detect --sensor-sweep``).

The true timelines (:mod:`simulators.sweep`: ``episodes`` entrapments and as many
look-alikes per elevator, after a warm-up of normal service) are generated once; each
cell sees them through its own sensor profile and reporting pattern (each elevator draws
its offset, drift, noise and heartbeat) and replays what arrives, in arrival batches,
through the detectors and the naive baseline. Scores are for the entrapment alarm:
precision, recall, median and p95 delay; ``recall_with_possible`` also counts an
entrapment found only as a possible entrapment (the desk sees it and can open a case).
The warm-up (each elevator's first ``warmup_s`` of normal service) is the history the
sensor health is learned from: alarms in it are not scored, only counted
(``warmup_alarms``: a new terminal's first minutes, before its health is known).
"""

from __future__ import annotations

import itertools
import multiprocessing
import time
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from analytics.config import DetectionSettings
from analytics.detectors import AlarmEvent, FleetDetector
from analytics.detectors.model import take_samples
from analytics.evaluation import FiredAlarm, TypeScore, evaluate, fired_alarms
from domain.alarms import AlarmType
from domain.groundtruth import GroundTruth
from domain.samples import StatusColumns
from domain.telemetry import SCHEMA_VERSION, EventMessage
from evaluation.sweep_evidence import EvidenceTally, Terminal, classify, detected
from simulators.fleet import generate_fleet
from simulators.scenario import concat_status
from simulators.sensors import (
    PresenceModel,
    Reporting,
    draw_profile,
    load_reading,
    presence_reading,
)
from simulators.sweep import TrueRun, true_run
from simulators.terminals import deliveries

ENT = AlarmType.ENTRAPMENT.value
POSSIBLE = AlarmType.POSSIBLE_ENTRAPMENT.value
OFFLINE = AlarmType.TERMINAL_OFFLINE.value  # none true: the sweep's terminals never fall silent
CELLS: tuple[tuple[PresenceModel, bool, Reporting], ...] = tuple(
    (p, load, r) for p in PresenceModel for load in (True, False) for r in Reporting
)
IN_ORDER_BATCH_MS = 3_600_000
REORDERED_BATCH_MS = 10_000


def cell_name(presence: PresenceModel, load: bool, reporting: Reporting) -> str:
    return f"{presence}/{'load' if load else 'no_load'}/{reporting}"


@dataclass(frozen=True)
class CellScore:
    name: str
    ours: TypeScore
    baseline: TypeScore
    with_possible: TypeScore
    possible_alarms: int
    possible_on_lookalikes: int
    samples: int
    detect_s: float
    warmup_alarms: int = 0
    evidence: EvidenceTally | None = None
    offline_alarms: int = 0

    def summary(self) -> dict[str, Any]:
        keys = ("precision", "recall", "median_delay_s", "p95_delay_s")
        o, b = self.ours.summary(), self.baseline.summary()
        return {
            **{k: o[k] for k in keys},
            "entrapments": self.ours.faults,
            "false_alarms": self.ours.false_positives,
            "recall_with_possible": round(self.with_possible.recall, 4),
            "possible_alarms": self.possible_alarms,
            "possible_on_lookalikes": self.possible_on_lookalikes,
            "warmup_alarms": self.warmup_alarms,
            "offline_alarms": self.offline_alarms,
            **(self.evidence.summary() if self.evidence else {}),
            "baseline": {k: b[k] for k in keys},
        }


@dataclass(frozen=True)
class SweepJob:
    elevators: int
    episodes: int
    seed: int
    warmup_s: float
    cells: tuple[int, ...]
    settings: dict[str, Any]


_RUNS: dict[tuple[int, int, int, float], list[TrueRun]] = {}


def true_runs(elevators: int, episodes: int, seed: int, warmup_s: float) -> list[TrueRun]:
    """The sweep's true timelines (cached per process)."""
    k = (elevators, episodes, seed, warmup_s)
    if k not in _RUNS:
        fleet = generate_fleet(elevators, seed)
        _RUNS[k] = [true_run(e, episodes, seed, warmup_s) for e in fleet.elevators]
    return _RUNS[k]


def _seen(
    run: TrueRun, cell: tuple[PresenceModel, bool, Reporting], rng: np.random.Generator
) -> tuple[StatusColumns, np.ndarray[Any, np.dtype[np.int64]]]:
    """What the terminal of this cell delivers: samples in arrival order, arrival times."""
    presence, load, reporting = cell
    profile = draw_profile(rng, presence, load, reporting)
    st = run.status
    reading = presence_reading(presence, st.ts_ms, st.passenger, st.car, st.door, rng)
    cols = replace(
        st,
        passenger=reading,
        load=load_reading(profile, st.ts_ms, st.load, run.start_ms, rng),
        analog={},
    )
    d = deliveries(cols, profile, rng)
    return take_samples(cols, d.index), d.arrival_ms


def _events(run: TrueRun) -> list[EventMessage]:
    return [
        EventMessage(v=SCHEMA_VERSION, seq=0, ts=e.ts, code=e.code, active=e.active,
                     floor=e.floor, detail=e.detail)
        for e in run.events
    ]  # fmt: skip


def replay_fleet(
    det: FleetDetector,
    seen: list[tuple[StatusColumns, np.ndarray[Any, np.dtype[np.int64]], list[EventMessage]]],
    batch_ms: int,
) -> list[AlarmEvent]:
    """Feed every elevator's deliveries as ingest would: arrival batches of the whole
    fleet, each sorted by (elevator, event time), through ``process_many``; terminal
    events in the batch of their time."""
    parts = [c for c, _, _ in seen if len(c)]
    if not parts:
        return []
    cols = concat_status(0, parts)
    ids = np.concatenate([np.full(len(c), c.elevator_id, np.int64) for c in parts])
    arrival = np.concatenate([a for c, a, _ in seen if len(c)])
    first = int(arrival.min())
    batch = (arrival - first) // batch_ms
    order = np.lexsort((cols.ts_ms, ids, batch))
    cols, ids, batch = take_samples(cols, order), ids[order], batch[order]
    events: dict[int, dict[int, list[EventMessage]]] = {}
    for c, _, evs in seen:
        for e in evs:
            b = max(0, (e.ts - first) // batch_ms)
            events.setdefault(b, {}).setdefault(c.elevator_id, []).append(e)
    cuts = np.flatnonzero(np.diff(batch)) + 1
    bounds = [0, *cuts.tolist(), len(cols)]
    for lo, hi in itertools.pairwise(bounds):
        b = int(batch[lo])
        for late in [k for k in events if k < b]:  # events of batches without samples
            det.process_many(np.zeros(0, np.int64), take_samples(cols, np.arange(0)),
                             events.pop(late))  # fmt: skip
        det.process_many(ids[lo:hi], take_samples(cols, np.arange(lo, hi)), events.pop(b, {}))
    for k in sorted(events):
        det.process_many(np.zeros(0, np.int64), take_samples(cols, np.arange(0)), events[k])
    return det.drain()


def _score_cell(
    index: int, runs: list[TrueRun], settings: DetectionSettings, seed: int, warmup_s: float
) -> CellScore:
    cell = CELLS[index]
    rng = np.random.default_rng([seed, index, 29])
    ours, naive = FleetDetector(settings), FleetDetector(settings, naive=True)
    seen = [(*_seen(run, cell, rng), _events(run)) for run in runs]
    truth: list[GroundTruth] = [g for run in runs for g in run.truth]
    samples = sum(len(c) for c, _, _ in seen)
    batch_ms = REORDERED_BATCH_MS if cell[2] is Reporting.DUPLICATED else IN_ORDER_BATCH_MS
    t0 = time.perf_counter()
    fired = fired_alarms(replay_fleet(ours, seen, batch_ms))
    spent = time.perf_counter() - t0
    fired_naive = fired_alarms(replay_fleet(naive, seen, batch_ms))
    # the warm-up is the history the sensor health is learned from: not scored (its
    # alarms are counted: a terminal's first minutes, before its health is known)
    scored_from = min(r.start_ms for r in runs) + round(warmup_s * 1000)
    warmup = sum(1 for a in fired if a.alarm_type == ENT and a.at_ms < scored_from)
    fired = [a for a in fired if a.at_ms >= scored_from]
    fired_naive = [a for a in fired_naive if a.at_ms >= scored_from]
    ent_truth = [g for g in truth if g.kind == ENT or not g.is_fault]
    scores = evaluate([a for a in fired if a.alarm_type == ENT], ent_truth)
    merged = [replace(a, alarm_type=ENT) if a.alarm_type == POSSIBLE else a for a in fired]
    with_possible = evaluate([a for a in merged if a.alarm_type == ENT], ent_truth)
    possible = evaluate([replace(a, alarm_type=ENT) for a in fired if a.alarm_type == POSSIBLE],
                        ent_truth)  # fmt: skip
    base = evaluate([a for a in fired_naive if a.alarm_type == ENT], ent_truth)
    tally = _tally(runs, seen, cell, fired, settings)
    return CellScore(
        name=cell_name(*cell),
        ours=scores.get(ENT, TypeScore()),
        baseline=base.get(ENT, TypeScore()),
        with_possible=with_possible.get(ENT, TypeScore()),
        possible_alarms=sum(1 for a in fired if a.alarm_type == POSSIBLE),
        possible_on_lookalikes=sum(possible.get(ENT, TypeScore()).on_lookalike.values()),
        samples=samples,
        detect_s=spent,
        warmup_alarms=warmup,
        evidence=tally,
        offline_alarms=sum(1 for a in fired if a.alarm_type == OFFLINE),
    )


def _tally(
    runs: list[TrueRun],
    seen: list[tuple[StatusColumns, np.ndarray[Any, np.dtype[np.int64]], list[EventMessage]]],
    cell: tuple[PresenceModel, bool, Reporting],
    fired: list[FiredAlarm],
    settings: DetectionSettings,
) -> EvidenceTally:
    """Each scored entrapment by the evidence its terminal delivered, and found or not
    (:mod:`evaluation.sweep_evidence`)."""
    tally = EvidenceTally.empty()
    due_ms = round(settings.entrapment_s * 1000)
    by_elevator: dict[int, list[FiredAlarm]] = {}
    for a in fired:
        by_elevator.setdefault(a.elevator_id, []).append(a)
    for run, (cols, _, events) in zip(runs, seen, strict=True):
        terminal = Terminal(run.status, cols, np.array([e.ts for e in events], np.int64),
                            cell[0], cell[1])  # fmt: skip
        mine = by_elevator.get(run.elevator_id, [])
        ent = [a for a in mine if a.alarm_type == ENT]
        either = [a for a in mine if a.alarm_type in (ENT, POSSIBLE)]
        for g in run.truth:
            if g.kind == ENT and g.is_fault:
                tally.add(classify(terminal, g, due_ms), detected(ent, g), detected(either, g))
    return tally


def _work(job: SweepJob) -> list[CellScore]:
    runs = true_runs(job.elevators, job.episodes, job.seed, job.warmup_s)
    settings = DetectionSettings(**job.settings)
    return [_score_cell(i, runs, settings, job.seed, job.warmup_s) for i in job.cells]


@dataclass(frozen=True)
class SweepResult:
    cells: list[CellScore]
    entrapments_per_cell: int
    lookalikes_per_cell: int
    samples: int
    samples_per_s: float
    wall_s: float


def run_sweep(
    elevators: int = 28,
    episodes: int = 8,
    seed: int = 7,
    workers: int = 2,
    warmup_s: float = 7200.0,
    settings: DetectionSettings | None = None,
    cells: tuple[int, ...] | None = None,
) -> SweepResult:
    """Score every cell (or the given cell indices) of the sweep."""
    started = time.perf_counter()
    s = (settings or DetectionSettings()).model_dump()
    chosen = cells if cells is not None else tuple(range(len(CELLS)))
    shares = [chosen[w::workers] for w in range(workers)]
    jobs = [SweepJob(elevators, episodes, seed, warmup_s, sh, s) for sh in shares if sh]
    if len(jobs) <= 1:
        parts = [_work(j) for j in jobs]
    else:
        with multiprocessing.get_context("spawn").Pool(len(jobs)) as pool:
            parts = pool.map(_work, jobs)
    scores = sorted((c for p in parts for c in p), key=lambda c: chosen.index(_index(c.name)))
    runs = true_runs(elevators, episodes, seed, warmup_s) if workers <= 1 else None
    looks = (
        sum(1 for r in runs for g in r.truth if not g.is_fault)
        if runs is not None else elevators * episodes
    )  # fmt: skip
    samples = sum(c.samples for c in scores)
    spent = sum(c.detect_s for c in scores)
    return SweepResult(
        cells=scores,
        entrapments_per_cell=scores[0].ours.faults if scores else 0,
        lookalikes_per_cell=looks,
        samples=samples,
        samples_per_s=samples / spent if spent else 0.0,
        wall_s=time.perf_counter() - started,
    )


def _index(name: str) -> int:
    return [cell_name(*c) for c in CELLS].index(name)


def sweep_json(result: SweepResult) -> dict[str, Any]:
    return {
        "sweep": {c.name: c.summary() for c in result.cells},
        "entrapments_per_cell": result.entrapments_per_cell,
        "lookalikes_per_cell": result.lookalikes_per_cell,
        "sweep_samples": result.samples,
        "sweep_samples_per_s": round(result.samples_per_s),
        "sweep_wall_s": round(result.wall_s, 1),
    }
