"""Read status samples and events off a phase timeline (vectorised).

Samples are taken on the periodic grid (``grid0 + k * interval``) and at the start of
every phase whose discrete state differs from the previous phase's (car start/stop,
door state, passenger, mode, power) or that is marked (dense 1 s samples during
overspeed and door-open-while-running, reconnect after an outage). Sequence numbers
run over status samples and events together, in event-time order (status first on
equal times).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from domain.codes import DOOR_CLOSING as CLOSING
from domain.codes import DOOR_OPENING as OPENING
from domain.samples import StatusColumns
from domain.telemetry import SCHEMA_VERSION, EventMessage
from simulators.journeys import Shaft
from simulators.timeline import (
    DOOR_ZONE_M,
    STAND,
    TRIP,
    Cols,
)

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Carry:
    """What one simulated window hands to the next."""

    t_ms: int
    pos: float
    seq: int
    runs: int
    door_cycles: int
    run_s: float
    door_open_s: float = 2.5
    door_close_s: float = 3.0
    trip_s: float = 0.0
    state: tuple[int, ...] | None = None  # the last phase's discrete state


@dataclass(frozen=True)
class RawEvent:
    ts: int
    code: int
    active: bool = True
    floor: int | None = None
    detail: str = ""


def _motion(cols: Cols, pi: I64, tau: F64) -> tuple[F64, F64]:
    """Car position (m) and speed (m/s) at ``tau`` seconds into phase ``pi``."""
    prof = cols["prof"][pi]
    p0 = cols["pos0"][pi].astype(np.float64)
    p1 = cols["pos1"][pi].astype(np.float64)
    v = cols["v"][pi].astype(np.float64)
    dur = cols["dur"][pi] / 1000.0
    sgn = np.sign(p1 - p0)
    d = np.abs(p1 - p0)
    # Constant speed.
    const_s = np.minimum(v * tau, d)
    # Trapezoid/triangle with acceleration matching the phase's duration.
    with np.errstate(divide="ignore", invalid="ignore"):
        tri = d < v * v
        vp = np.where(tri, np.sqrt(d), v)
        ta = np.where(tri, dur / 2.0, np.minimum(dur / 2.0, vp))  # a = 1 m/s² nominal
        acc = np.where(ta > 0, vp / ta, 1.0)
        tc = np.maximum(0.0, dur - 2.0 * ta)
        rem = np.maximum(0.0, dur - tau)
        s_trip = np.where(
            tau < ta,
            0.5 * acc * tau * tau,
            np.where(tau < ta + tc, 0.5 * acc * ta * ta + vp * (tau - ta), d - 0.5 * acc * rem**2),
        )
        v_trip = np.where(tau < ta, acc * tau, np.where(tau < ta + tc, vp, acc * rem))
    s = np.where(prof == TRIP, np.clip(s_trip, 0.0, d), np.where(prof == STAND, 0.0, const_s))
    speed = np.where(prof == TRIP, v_trip, np.where(prof == STAND, 0.0, v))
    out_pos: F64 = p0 + sgn * s
    out_speed: F64 = np.abs(speed)
    return out_pos, out_speed


@dataclass(frozen=True)
class _Window:
    """The window's phases (zero-length ones dropped) with their start times."""

    cols: Cols
    dur: I64
    t: I64  # phase start times
    t_end: int
    running: npt.NDArray[np.bool_]
    direction: I64
    state: npt.NDArray[np.generic]  # discrete state per phase (rows: see _window)

    @property
    def phases(self) -> int:
        return int(self.dur.size)


def _window(cols: Cols, carry: Carry) -> _Window:
    keep = cols["dur"] > 0
    cols = {k: v[keep] for k, v in cols.items()}
    dur = cols["dur"].astype(np.int64)
    t = carry.t_ms + np.concatenate(([0], np.cumsum(dur)[:-1])).astype(np.int64)
    running = cols["prof"] != STAND
    direction = np.where(running, np.where(cols["pos1"] > cols["pos0"], 1, 2), 0)
    state = np.stack([running, direction, cols["door"], cols["pas"], cols["mode"], cols["power"]])
    return _Window(cols, dur, t, int(carry.t_ms + dur.sum()), running, direction, state)


def _sample_times(
    w: _Window, carry: Carry, grid0: int, interval_ms: int, offline: list[tuple[int, int]]
) -> I64:
    """The grid, every phase whose state changed (or is marked), reconnects; none while
    the terminal is offline."""
    marked = w.cols["mark"].astype(bool)
    changed = np.ones(w.phases, np.bool_)
    if w.phases and carry.state is not None:  # no sample where a window merely begins
        changed[0] = tuple(w.state[:, 0].tolist()) != carry.state or bool(marked[0])
    changed[1:] = (w.state[:, 1:] != w.state[:, :-1]).any(axis=0) | marked[1:]
    first_k = -(-(carry.t_ms - grid0) // interval_ms)
    grid = grid0 + interval_ms * np.arange(first_k, -(-(w.t_end - grid0) // interval_ms))
    reconnect = [w1 for _, w1 in offline if carry.t_ms <= w1 < w.t_end]
    ts: I64 = np.union1d(np.union1d(w.t[changed], grid), reconnect).astype(np.int64)
    for w0, w1 in offline:
        ts = ts[(ts < w0) | (ts >= w1)]
    return ts


@dataclass(frozen=True)
class _Counters:
    """Per-phase counters and last durations, carried across windows."""

    runs: I64
    cycles: I64
    run_ms: I64
    run_before: I64
    door_open_s: F64
    door_close_s: F64
    trip_s: F64


def _counters(w: _Window, carry: Carry) -> _Counters:
    run_start = w.running & np.concatenate(([not _was_running(carry)], ~w.running[:-1]))
    door = w.cols["door"]
    opening = door == OPENING
    door_start = opening & np.concatenate(([True], ~opening[:-1]))
    closing = door == CLOSING
    run_ms = np.where(w.running, w.dur, 0)
    dur_s = w.dur / 1000.0
    return _Counters(
        runs=carry.runs + np.cumsum(run_start),
        cycles=carry.door_cycles + np.cumsum(door_start),
        run_ms=run_ms,
        run_before=np.concatenate(([0], np.cumsum(run_ms)[:-1])),
        door_open_s=_ffill(np.where(opening, dur_s, np.nan), carry.door_open_s),
        door_close_s=_ffill(np.where(closing, dur_s, np.nan), carry.door_close_s),
        trip_s=_ffill(np.where(w.cols["prof"] == TRIP, dur_s, np.nan), carry.trip_s),
    )


def _climate(
    ts: I64, car_running: npt.NDArray[np.bool_], speed: F64, shaft: Shaft, rng: np.random.Generator
) -> tuple[F64, F64, F64]:
    """Vibration, temperature and humidity at the sample times (in this draw order)."""
    n = ts.size
    c = shaft.condition
    vib = np.where(
        car_running,
        0.04 + 0.30 * c + np.abs(rng.normal(0.0, 0.01 + 0.03 * c, n)) + 0.1 * (speed > shaft.rated),
        0.005 + np.abs(rng.normal(0.0, 0.002, n)),
    )
    local_h = ((ts // 3_600_000) + 8) % 24 + (ts % 3_600_000) / 3_600_000
    doy = (ts // 86_400_000) % 365
    season = np.sin(2 * np.pi * (doy - 110) / 365.0)
    temp = (
        24.0 + 6.0 * season + 3.0 * np.sin(2 * np.pi * (local_h - 9) / 24) + rng.normal(0, 0.3, n)
    )
    hum = np.clip(72.0 + 10.0 * season - 8.0 * np.sin(2 * np.pi * (local_h - 9) / 24)
                  + rng.normal(0, 2.0, n), 20, 100)  # fmt: skip
    return vib, temp, hum


def _sequence(
    ts: I64, raw_events: list[RawEvent], offline: list[tuple[int, int]], seq0: int
) -> tuple[I64, list[EventMessage]]:
    """Sequence numbers over status samples and events in event-time order (status first
    on equal times); events while offline are lost."""
    raw = sorted(
        (e for e in raw_events if not any(w0 <= e.ts < w1 for w0, w1 in offline)),
        key=lambda e: e.ts,
    )
    ev_ts = np.fromiter((e.ts for e in raw), np.int64, len(raw))
    order = np.argsort(np.concatenate((ts, ev_ts)), kind="stable")
    seq_all = np.empty(order.size, np.int64)
    seq_all[order] = seq0 + np.arange(order.size)
    events = [
        EventMessage(v=SCHEMA_VERSION, seq=int(s), ts=e.ts, code=e.code, active=e.active,
                     floor=e.floor, detail=e.detail)
        for e, s in zip(raw, seq_all[ts.size :].tolist(), strict=True)
    ]  # fmt: skip
    return seq_all[: ts.size], events


def sample(
    elevator_id: int,
    cols: Cols,
    carry: Carry,
    shaft: Shaft,
    labels: I64,
    grid0: int,
    interval_ms: int,
    raw_events: list[RawEvent],
    offline: list[tuple[int, int]],
    rng: np.random.Generator,
) -> tuple[StatusColumns, list[EventMessage], Carry]:
    """One window's status samples and events, and what the next window starts from."""
    w = _window(cols, carry)
    ts = _sample_times(w, carry, grid0, interval_ms, offline)
    pi = np.searchsorted(w.t, ts, side="right") - 1
    pos, speed = _motion(w.cols, pi, (ts - w.t[pi]) / 1000.0)
    idx = np.clip(np.rint(pos / shaft.height), 0, shaft.landings - 1).astype(np.int64)
    offset = pos - idx * shaft.height
    car_running = w.running[pi]
    counters = _counters(w, carry)
    run_s = (
        carry.run_s + (counters.run_before[pi] + np.where(car_running, ts - w.t[pi], 0)) / 1000.0
    )
    vib, temp, hum = _climate(ts, car_running, speed, shaft, rng)
    seq, events = _sequence(ts, raw_events, offline, carry.seq)
    f32 = np.float32
    c = w.cols
    status = StatusColumns(
        elevator_id=elevator_id,
        ts_ms=ts,
        seq=seq,
        car=car_running.astype(np.int8),
        dir=w.direction[pi].astype(np.int8),
        floor=labels[idx].astype(np.int16),
        door_zone=np.abs(offset) <= DOOR_ZONE_M,
        door=c["door"][pi].astype(np.int8),
        passenger=c["pas"][pi].astype(np.bool_),
        mode=c["mode"][pi].astype(np.int8),
        power=c["power"][pi].astype(np.int8),
        speed=speed.astype(f32),
        load=np.where(c["pas"][pi], c["load"][pi], 0.0).astype(f32),
        leveling_mm=np.where(car_running, 0.0, offset * 1000.0).astype(f32),
        run_hours=(run_s / 3600.0).astype(f32),
        runs=counters.runs[pi].astype(np.int32),
        door_cycles=counters.cycles[pi].astype(np.int32),
        analog={
            "vibration": vib.astype(f32),
            "temperature": temp.astype(f32),
            "humidity": hum.astype(f32),
            "door_open_s": counters.door_open_s[pi].astype(f32),
            "door_close_s": counters.door_close_s[pi].astype(f32),
            "trip_s": counters.trip_s[pi].astype(f32),
        },
    )
    messages = ts.size + len(events)
    return status, events, _next_carry(w, counters, carry, messages, offline)


def _next_carry(
    w: _Window, counters: _Counters, carry: Carry, messages: int, offline: list[tuple[int, int]]
) -> Carry:
    """What the next window starts from: the counters, the last phase's state."""
    run_s = carry.run_s + float(counters.run_ms.sum()) / 1000.0
    if not w.phases:
        return replace(carry, t_ms=w.t_end, seq=carry.seq + messages, run_s=run_s, state=None)
    last = w.phases - 1
    return replace(
        carry,
        t_ms=w.t_end,
        pos=float(w.cols["pos1"][last]),
        seq=carry.seq + messages,
        runs=int(counters.runs[last]),
        door_cycles=int(counters.cycles[last]),
        run_s=run_s,
        door_open_s=float(counters.door_open_s[last]),
        door_close_s=float(counters.door_close_s[last]),
        trip_s=float(counters.trip_s[last]),
        # A terminal back online exactly where the next window begins reports there.
        state=None if any(w1 == w.t_end for _, w1 in offline) else tuple(w.state[:, last].tolist()),
    )


def _was_running(carry: Carry) -> bool:
    return False  # every window starts and ends standing


def _ffill(values: F64, initial: float) -> F64:
    """Forward-fill NaNs (the first ones with ``initial``)."""
    idx = np.where(np.isnan(values), -1, np.arange(values.size))
    np.maximum.accumulate(idx, out=idx)
    out: F64 = np.where(idx >= 0, values[np.maximum(idx, 0)], initial)
    return out
