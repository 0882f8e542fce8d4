"""Broker-free scenario mode: an elevator's telemetry, events and ground truth.

``simulate_elevator`` plays one elevator over ``cfg.duration_s`` in windows of
``cfg.window_s`` (state carried across windows, :mod:`simulators.windows`): normal
journeys from the demand model, interrupted by fault and look-alike episodes
(:mod:`simulators.episodes`) at rates from the risk model (``fault_rate_scale`` times
:func:`simulators.risk.fault_rates`), or, in evaluation mode, at ``eval_per_day``
episodes of each kind per elevator-day. ``message_stream`` merges all elevators'
messages in event-time order as ``(terminal_id, "status"|"event", JSON payload)``.
Deterministic for ``cfg.seed``: each elevator draws from
``default_rng([seed, elevator.id])``.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import msgspec
import numpy as np

from domain.fleet import Elevator, Fleet, MaintenanceCompany, UserUnit
from domain.groundtruth import GroundTruth
from domain.samples import StatusColumns
from simulators.scenario_model import DEFAULT_START_MS, KINDS, ElevatorRun, ScenarioConfig
from simulators.windows import ElevatorWindows, shaft_of
from simulators.wire import status_payloads

__all__ = [
    "DEFAULT_START_MS",
    "DUE_GROUP",
    "KINDS",
    "ElevatorRun",
    "Message",
    "ScenarioConfig",
    "concat_status",
    "message_batches",
    "message_stream",
    "message_stream_with_truth",
    "run_scenario",
    "shaft_of",
    "simulate_elevator",
    "timed_message_stream",
]

DUE_GROUP = 100  # real-time catch-up: elevators simulated between releases of due messages


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
    pieces = list(ElevatorWindows(elevator, company, unit, cfg, gen).pieces())
    return ElevatorRun(
        elevator.id,
        elevator.terminal_id,
        concat_status(elevator.id, [p.status for p in pieces]),
        [m for p in pieces for m in p.events],
        [g for p in pieces for g in p.truth],
        pieces[-1].end_ms if pieces else cfg.start_ms,
        pieces[-1].profile if pieces else None,
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


@dataclass
class _Pending:
    """Generated messages not yet released, and the time before which all are out."""

    released: int
    messages: list[Message] = field(default_factory=list)

    def take_before(self, t: int | None) -> list[Message]:
        """The messages before ``t`` (all when None), in order."""
        self.messages.sort()
        k = len(self.messages) if t is None else bisect.bisect_left(self.messages, (t,))
        out = self.messages[:k]
        self.messages = self.messages[k:]
        return out

    def release_due(self, due: int) -> list[Message]:
        """Behind schedule: what is due goes out now."""
        if due <= self.released:
            return []
        out = self.take_before(due)
        self.released = due
        return out


def _generate_until(
    pieces: Iterator[ElevatorRun], i: int, horizon: list[int], target: int, pending: _Pending
) -> bool:
    """Simulate elevator ``i`` up to ``target``; False when its run is over."""
    while horizon[i] < target:
        piece = next(pieces, None)
        if piece is None:
            return False
        pending.messages += _piece_messages(i, piece)
        horizon[i] = piece.end_ms
    return True


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
    runs = [
        ElevatorWindows(
            e, companies[e.company_id], units.get(e.user_unit_id) if e.user_unit_id else None,
            cfg, np.random.default_rng([cfg.seed, e.id]),
        ).pieces()
        for e in fleet.elevators
    ]  # fmt: skip
    horizon = [cfg.start_ms] * len(runs)
    live = list(range(len(runs)))
    step = max(1, round(cfg.window_s * 1000))
    target = cfg.start_ms
    pending = _Pending(cfg.start_ms)
    while live:
        target += step
        still: list[int] = []
        for n_done, i in enumerate(live):
            if due_ms is not None and n_done % DUE_GROUP == DUE_GROUP - 1 and pending.messages:
                due = pending.release_due(due_ms())
                if due:
                    yield due
            if _generate_until(runs[i], i, horizon, target, pending):
                still.append(i)
        live = still
        frontier = min((horizon[i] for i in live), default=None)
        final = pending.take_before(frontier)
        if final:
            yield final
        if frontier is not None:
            pending.released = max(pending.released, frontier)


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
