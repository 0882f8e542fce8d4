"""Broker-free scenario mode: an elevator's telemetry, events and ground truth.

``simulate_elevator`` plays one elevator over ``cfg.duration_s`` in windows of
``cfg.window_s`` (state carried across windows): normal journeys from the demand model,
interrupted by fault and look-alike episodes (:mod:`simulators.episodes`) at rates from
the risk model (``fault_rate_scale`` times :func:`simulators.risk.fault_rates`), or, in
evaluation mode, at ``eval_per_day`` episodes of each kind per elevator-day.
``message_stream`` merges all elevators' messages in event-time order as
``(terminal_id, "status"|"event", JSON payload)``. Deterministic for ``cfg.seed``:
each elevator draws from ``default_rng([seed, elevator.id])``.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime

import msgspec
import numpy as np
import numpy.typing as npt

from domain.alarms import AlarmType
from domain.districts import district_by_name
from domain.fleet import BuildingType, Elevator, Fleet, MaintenanceCompany, UserUnit
from domain.groundtruth import GroundTruth, LookAlike
from domain.samples import StatusColumns
from domain.telemetry import EventMessage
from simulators import episodes as ep_mod
from simulators.demand import LOCAL_TZ, journey_arrivals
from simulators.journeys import Shaft, add_journeys
from simulators.risk import FAULT_KINDS, MIN_S, USAGE, FleetFactors, draw_durations_s, fault_rates
from simulators.sampling import Carry, RawEvent, sample
from simulators.timeline import Car, Phases
from simulators.wire import status_payloads

DEFAULT_START_MS = 1_772_380_800_000  # 2026-03-02 00:00 Guangzhou time (a Monday)
LOOKALIKES: tuple[str, ...] = tuple(k.value for k in LookAlike)
KINDS: tuple[str, ...] = tuple(k.value for k in FAULT_KINDS) + LOOKALIKES
# Look-alikes per elevator-day in normal mode (maintenance every 15 days).
LOOKALIKE_PER_DAY = {"presence_flicker": 2.0, "long_door_hold": 0.4, "inspection": 1 / 15}
HEIGHT_M = {
    BuildingType.RESIDENTIAL: 3.0, BuildingType.OFFICE: 3.8, BuildingType.MALL: 4.5,
    BuildingType.HOSPITAL: 4.2, BuildingType.METRO: 6.0,
}  # fmt: skip
EVAL_MAX_S = 600.0
DUE_GROUP = 100  # real-time catch-up: elevators simulated between releases of due messages
DAY_S = 86_400.0


@dataclass(frozen=True)
class ScenarioConfig:
    seed: int = 1
    start_ms: int = DEFAULT_START_MS
    duration_s: float = 3600.0
    status_interval_s: float = 5.0
    fault_rate_scale: float = 1.0
    evaluation: bool = False  # inject every kind at eval_per_day, shorter durations
    eval_per_day: float = 2.0
    kinds: frozenset[str] | None = None  # which kinds to inject; None: all of KINDS
    p_report: float = 0.8  # probability that the terminal reports a fault's own code
    window_s: float = 3600.0  # simulation window (state carried across); larger is faster

    @property
    def end_ms(self) -> int:
        return self.start_ms + round(self.duration_s * 1000)

    def enabled(self) -> tuple[str, ...]:
        if self.kinds is None:
            return KINDS
        unknown = set(self.kinds) - set(KINDS)
        if unknown:
            raise ValueError(f"unknown kinds: {sorted(unknown)}")
        return tuple(k for k in KINDS if k in self.kinds)


@dataclass
class ElevatorRun:
    elevator_id: int
    terminal_id: str
    status: StatusColumns
    events: list[EventMessage] = field(default_factory=list)
    truth: list[GroundTruth] = field(default_factory=list)
    end_ms: int = 0  # where the run (or this window's piece of it) ends; later messages are later


def _local_date(ms: int) -> date:
    return datetime.fromtimestamp(ms / 1000, LOCAL_TZ).date()


def shaft_of(e: Elevator) -> tuple[Shaft, npt.NDArray[np.int64]]:
    labels = [f for f in range(e.lowest_floor, e.lowest_floor + e.floors + 1) if f != 0]
    lab = np.array(labels[: e.floors], dtype=np.int64)
    lobby = int(np.argmin(np.abs(lab - 1)))
    return Shaft(HEIGHT_M[e.building_type], e.floors, lobby, e.rated_speed, e.condition), lab


def _daily_rates(
    e: Elevator, c: MaintenanceCompany, u: UserUnit | None, cfg: ScenarioConfig
) -> dict[str, float]:
    kinds = cfg.enabled()
    if cfg.evaluation:
        return {k: cfg.eval_per_day for k in kinds}
    f = FleetFactors(
        elevator_id=np.array([e.id]), install_ordinal=np.array([e.install_date.toordinal()]),
        tech=np.array([float(c.tech_level)]), credit=np.array([c.credit_score]),
        mgmt=np.array([float(u.management_level if u else 1)]),
        condition=np.array([e.condition]), usage=np.array([USAGE[e.building_type]]),
        urban=np.array([district_by_name(e.district).urban]),
    )  # fmt: skip
    day = _local_date(cfg.start_ms)
    rates = fault_rates(f, day)[0] * cfg.fault_rate_scale
    out = {k.value: float(r) for k, r in zip(FAULT_KINDS, rates, strict=True)}
    out.update(LOOKALIKE_PER_DAY)
    return {k: out[k] for k in kinds}


def _duration_s(kind: str, cfg: ScenarioConfig, rng: np.random.Generator) -> float:
    if kind == LookAlike.LONG_DOOR_HOLD:
        return float(rng.uniform(60.0, 300.0))
    if kind == LookAlike.INSPECTION:
        return float(rng.uniform(600.0, 1200.0) if cfg.evaluation else rng.uniform(1200, 3600))
    if kind == LookAlike.PRESENCE_FLICKER:
        return 0.0
    i = [k.value for k in FAULT_KINDS].index(kind)
    d = float(draw_durations_s(np.array([i]), rng)[0])
    if cfg.evaluation:
        d = float(min(max(d, MIN_S[i]), max(EVAL_MAX_S, MIN_S[i] * 2)))
    return d


def _windows(
    e: Elevator, c: MaintenanceCompany, u: UserUnit | None, cfg: ScenarioConfig,
    rng: np.random.Generator,
) -> Iterator[ElevatorRun]:  # fmt: skip
    """The elevator's run, one piece per window (a piece may overrun its window)."""
    shaft, labels = shaft_of(e)
    rates = _daily_rates(e, c, u, cfg)
    # Sensor noise from its own stream: the sampling rate does not change the behaviour.
    noise = rng.spawn(1)[0]
    interval = max(1, round(cfg.status_interval_s * 1000))
    grid0 = cfg.start_ms + (e.id * 7919) % interval
    age_d = max(0, (_local_date(cfg.start_ms) - e.install_date).days)
    carry = Carry(
        t_ms=cfg.start_ms, pos=shaft.lobby * shaft.height, seq=1, runs=age_d * 250,
        door_cycles=age_d * 520, run_s=age_d * 1.1 * 3600.0,
    )  # fmt: skip
    names = list(rates)
    lam = np.array([rates[k] for k in names]) * cfg.window_s / DAY_S
    end = cfg.end_ms
    ws = cfg.start_ms
    drawn = ws  # journey requests are drawn up to here
    while ws < end:
        we = min(end, ws + round(cfg.window_s * 1000))
        counts = rng.poisson(lam * (we - ws) / (cfg.window_s * 1000))
        kinds = [names[i] for i in np.repeat(np.arange(len(names)), counts)]
        times = (ws + rng.random(len(kinds)) * (we - ws)).astype(np.int64)
        order = np.argsort(times, kind="stable")
        phases = Phases()
        t0, t, pos = carry.t_ms, max(carry.t_ms, ws), carry.pos
        if t > carry.t_ms:  # pragma: no cover - windows are contiguous
            raise RuntimeError("timeline gap")
        events: list[RawEvent] = []
        truth: list[GroundTruth] = []
        offline: list[tuple[int, int]] = []
        for j in order.tolist():
            at, kind = int(max(times[j], t)), kinds[j]
            if at >= we:
                break
            arrivals = journey_arrivals(e.building_type, min(drawn, t), at, rng)
            t, pos, _ = add_journeys(phases, shaft, t, pos, at, arrivals, rng)
            drawn = t
            dur = _duration_s(kind, cfg, rng)
            if kind == AlarmType.TERMINAL_OFFLINE:
                w1 = min(at + round(dur * 1000), end - 1000)  # back online before the end
                if w1 <= at:
                    continue
                arrivals = journey_arrivals(e.building_type, at, w1, rng)
                t, pos, _ = add_journeys(phases, shaft, at, pos, w1, arrivals, rng)
                offline.append((at, w1))
                truth.append(GroundTruth(e.id, str(kind), at, w1, True))
                continue
            if kind == AlarmType.ENTRAPMENT:
                kind = (
                    "entrapment_between_floors" if rng.random() < 0.3 else "entrapment_at_landing"
                )
            car = Car(phases, t, shaft.height, shaft.landings, shaft.rated, pos)
            ep = ep_mod.Episode(e.id, shaft, labels, rng, dur, cfg.p_report)
            cp = phases.checkpoint()
            ep_mod.EPISODES[kind](ep, car)
            if car.t_ms > end:  # would not finish within the scenario: leave it out
                phases.rollback(cp)
                break
            t, pos = car.t_ms, car.pos
            drawn = t  # nobody boards a car in an episode
            events += ep.events
            truth += ep.truth
        if t < we:  # requests up to a window's end are all served, even if later
            arrivals = journey_arrivals(e.building_type, min(drawn, t), we, rng)
            t, pos, _ = add_journeys(phases, shaft, t, pos, we, arrivals, rng, we < end)
            drawn = we
        else:
            drawn = t
        status, msgs, carry = sample(
            e.id, phases.columns(), replace(carry, t_ms=t0), shaft, labels, grid0, interval,
            events, offline, noise,
        )  # fmt: skip
        yield ElevatorRun(
            e.id, e.terminal_id, status, msgs, sorted(truth, key=lambda g: g.start_ms), carry.t_ms
        )
        ws = max(we, carry.t_ms)


def concat_status(elevator_id: int, parts: list[StatusColumns]) -> StatusColumns:
    names = [f for f in StatusColumns.__dataclass_fields__ if f not in ("elevator_id", "analog")]
    cols = {n: np.concatenate([getattr(p, n) for p in parts]) for n in names}
    analog = {k: np.concatenate([p.analog[k] for p in parts]) for k in parts[0].analog}
    return StatusColumns(elevator_id=elevator_id, analog=analog, **cols)


def simulate_elevator(
    elevator: Elevator, company: MaintenanceCompany, unit: UserUnit | None,
    cfg: ScenarioConfig, rng: np.random.Generator | int | None = None,
) -> ElevatorRun:  # fmt: skip
    """The whole scenario for one elevator (status in event-time order, events, truth)."""
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(
        [cfg.seed if rng is None else rng, elevator.id]
    )  # fmt: skip
    pieces = list(_windows(elevator, company, unit, cfg, gen))
    return ElevatorRun(
        elevator.id,
        elevator.terminal_id,
        concat_status(elevator.id, [p.status for p in pieces]),
        [m for p in pieces for m in p.events],
        [g for p in pieces for g in p.truth],
        pieces[-1].end_ms if pieces else cfg.start_ms,
    )


def _lookups(fleet: Fleet) -> tuple[dict[int, MaintenanceCompany], dict[int, UserUnit]]:
    return {c.id: c for c in fleet.companies}, {u.id: u for u in fleet.user_units}


def run_scenario(fleet: Fleet, cfg: ScenarioConfig) -> Iterator[ElevatorRun]:
    companies, units = _lookups(fleet)
    for e in fleet.elevators:
        unit = units.get(e.user_unit_id) if e.user_unit_id else None
        yield simulate_elevator(e, companies[e.company_id], unit, cfg, cfg.seed)


_ENC = msgspec.json.Encoder()
# (event time, elevator index in the fleet, seq, "status"|"event", JSON payload)
Message = tuple[int, int, int, str, bytes]


def _piece_messages(idx: int, run: ElevatorRun) -> list[Message]:
    out: list[Message] = [
        (ts, idx, seq, "status", payload)
        for ts, seq, payload in zip(
            run.status.ts_ms.tolist(), run.status.seq.tolist(), status_payloads(run.status),
            strict=True,
        )
    ]  # fmt: skip
    out += [(m.ts, idx, m.seq, "event", _ENC.encode(m)) for m in run.events]
    return out


def message_batches(
    fleet: Fleet, cfg: ScenarioConfig, due_ms: Callable[[], int] | None = None
) -> Iterator[list[Message]]:
    """All elevators' messages in (time, elevator, seq) order, a window at a time.

    Every elevator is simulated window by window; after each window the messages older
    than every live elevator's horizon (where its next piece starts) are final and go
    out sorted. A short ``cfg.window_s`` gives the first messages sooner.

    ``due_ms`` (real-time publishing) returns the simulated time already due: while
    the generator is behind it (at the start, when every elevator's first window is
    set up), the messages generated so far that are already due go out every
    ``DUE_GROUP`` elevators instead of after the whole window. Each terminal's messages
    stay in order; only late messages of different terminals may interleave out of
    time order. Without ``due_ms`` the output is fully deterministic.
    """
    companies, units = _lookups(fleet)
    gens = [
        _windows(
            e, companies[e.company_id], units.get(e.user_unit_id) if e.user_unit_id else None,
            cfg, np.random.default_rng([cfg.seed, e.id]),
        )
        for e in fleet.elevators
    ]  # fmt: skip
    horizon = [cfg.start_ms] * len(gens)
    live = list(range(len(gens)))
    step = max(1, round(cfg.window_s * 1000))
    target = cfg.start_ms
    pending: list[Message] = []
    released = cfg.start_ms  # everything before this has been yielded
    while live:
        target += step
        still: list[int] = []
        for n_done, i in enumerate(live):
            if due_ms is not None and n_done % DUE_GROUP == DUE_GROUP - 1 and pending:
                due = due_ms()
                if due > released:  # behind schedule: what is due goes out now
                    pending.sort()
                    k = bisect.bisect_left(pending, (due,))
                    if k:
                        yield pending[:k]
                        pending = pending[k:]
                    released = due
            done = False
            while horizon[i] < target:
                piece = next(gens[i], None)
                if piece is None:
                    done = True
                    break
                pending += _piece_messages(i, piece)
                horizon[i] = piece.end_ms
            if not done:
                still.append(i)
        live = still
        frontier = min((horizon[i] for i in live), default=None)
        pending.sort()
        k = len(pending) if frontier is None else bisect.bisect_left(pending, (frontier,))
        if k:
            yield pending[:k]
            pending = pending[k:]
        if frontier is not None:
            released = max(released, frontier)


def timed_message_stream(
    fleet: Fleet, cfg: ScenarioConfig
) -> Iterator[tuple[int, str, str, bytes]]:
    """Like :func:`message_stream`, with each message's event time first."""
    terminals = [e.terminal_id for e in fleet.elevators]
    for batch in message_batches(fleet, cfg):
        for ts, idx, _seq, kind, payload in batch:
            yield ts, terminals[idx], kind, payload


def message_stream(fleet: Fleet, cfg: ScenarioConfig) -> Iterator[tuple[str, str, bytes]]:
    """All elevators' messages merged by event time: (terminal_id, kind, JSON payload)."""
    for _ts, terminal, kind, payload in timed_message_stream(fleet, cfg):
        yield terminal, kind, payload


def message_stream_with_truth(fleet: Fleet, cfg: ScenarioConfig) -> list[GroundTruth]:
    """The ground truth that ``message_stream(fleet, cfg)`` carries (same seed, same runs)."""
    return sorted(
        (g for run in run_scenario(fleet, cfg) for g in run.truth),
        key=lambda g: (g.start_ms, g.elevator_id),
    )
