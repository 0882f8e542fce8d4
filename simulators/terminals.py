"""Terminal reporting patterns: which of an elevator's dense (1-s) samples a terminal
sends, and in what order they are delivered (vectorised).

- ``periodic``: every 5 s on the terminal's grid;
- ``on_change``: whenever what it reports changes (car, door, door zone, floor,
  presence, mode, power, load by > 20 kg), plus a heartbeat every 10-15 s;
- ``sparse``: every 10-20 s, jittered;
- ``duplicated``: every 5 s; 10 % of messages are delivered twice, and deliveries are
  late by 0-1 s usually and 3-12 s for 5 % of them (so they arrive out of order).

:func:`deliveries` returns the sample indices in delivery order with their arrival
times (``arrival_ms``); consumers feed them in arrival batches.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from domain.samples import StatusColumns
from simulators.sensors import (
    PresenceModel,
    Reporting,
    SensorProfile,
    draw_profile,
    load_reading,
    presence_reading,
    take,
)

I64 = npt.NDArray[np.int64]
LOAD_STEP_KG = 20.0


@dataclass(frozen=True)
class Deliveries:
    index: npt.NDArray[np.intp]  # sample indices, in delivery order
    arrival_ms: I64  # arrival time of each


def _grid(ts: I64, t0: int, every_ms: int) -> npt.NDArray[np.intp]:
    """The first sample at or after each grid time (unique)."""
    grid = np.arange(t0, int(ts[-1]) + 1, every_ms, dtype=np.int64)
    idx: npt.NDArray[np.intp] = np.unique(np.searchsorted(ts, grid, side="left"))
    out: npt.NDArray[np.intp] = idx[idx < ts.shape[0]]
    return out


def _changes(cols: StatusColumns) -> npt.NDArray[np.bool_]:
    n = len(cols)
    out = np.zeros(n, np.bool_)
    if n == 0:
        return out
    out[0] = True
    for col in (cols.car, cols.door, cols.door_zone, cols.floor, cols.passenger, cols.mode,
                cols.power):  # fmt: skip
        out[1:] |= col[1:] != col[:-1]
    # a load change of more than LOAD_STEP_KG since the last change (approximately:
    # against the previous sample's rounded level)
    level = np.floor(cols.load / LOAD_STEP_KG)
    out[1:] |= level[1:] != level[:-1]
    return out


def deliveries(cols: StatusColumns, profile: SensorProfile, rng: np.random.Generator) -> Deliveries:
    """Which samples the terminal sends and when they arrive (see the module docstring)."""
    ts = cols.ts_ms
    if ts.shape[0] == 0:
        return Deliveries(np.zeros(0, np.intp), np.zeros(0, np.int64))
    t0 = int(ts[0])
    r = profile.reporting
    if r is Reporting.ON_CHANGE:
        beat = _grid(ts, t0, round(profile.heartbeat_s * 1000))
        keep = _changes(cols)
        keep[beat] = True
        idx = np.flatnonzero(keep)
        return Deliveries(idx, ts[idx])
    if r is Reporting.SPARSE:
        span_s = (int(ts[-1]) - t0) / 1000.0
        gaps = rng.uniform(10.0, 20.0, int(span_s / 10.0) + 2)
        times = t0 + (np.cumsum(gaps) * 1000).astype(np.int64)
        idx = np.unique(np.searchsorted(ts, times, side="left"))
        idx = idx[idx < ts.shape[0]]
        return Deliveries(idx, ts[idx])
    idx = _grid(ts, t0, 5000)
    if r is Reporting.PERIODIC:
        return Deliveries(idx, ts[idx])
    twice = rng.random(idx.shape[0]) < 0.10
    idx = np.concatenate([idx, idx[twice]])
    late = np.where(
        rng.random(idx.shape[0]) < 0.05,
        rng.uniform(3000, 12000, idx.shape[0]),
        rng.uniform(0, 1000, idx.shape[0]),
    ).astype(np.int64)
    arrival = ts[idx] + late
    order = np.argsort(arrival, kind="stable")
    return Deliveries(idx[order], arrival[order])


class SensorView:
    """One elevator's terminal in the scenario: draws its profile, then turns each
    window's status (presence as built, true load) into what the terminal reports
    (the presence model replaces the built-in flicker; reporting keeps the samples
    the pattern sends, in event-time order: duplicates and reordering belong to the
    transport, see :mod:`simulators.terminals`)."""

    def __init__(self, rng: np.random.Generator, start_ms: int) -> None:
        self.rng = rng
        self.start_ms = start_ms
        self.profile = draw_profile(rng)

    def see(self, status: StatusColumns) -> StatusColumns:
        p, rng = self.profile, self.rng
        ts = status.ts_ms
        reading = presence_reading(p.presence, ts, status.passenger, status.car, status.door, rng)
        if p.presence is PresenceModel.FLICKER:
            reading = status.passenger  # the scenario's own flickering presence
        seen = replace(
            status,
            passenger=reading,
            load=load_reading(p, ts, status.load, self.start_ms, rng),
        )
        if p.reporting is Reporting.ON_CHANGE or len(seen) == 0:
            return seen
        idx = np.unique(deliveries(seen, p, rng).index)
        return take(seen, idx)
