"""Sensor models of a monitoring terminal: what its presence sensor and load cell
report about the car's true occupancy (vectorised over one elevator's samples).

Each elevator draws a :class:`SensorProfile` (:func:`draw_profile`); the ground truth
records it. Presence models (docs/simulators.md):

- ``flicker``: today's sensor: misses an occupant for 1-8 s about every 40 s, and
  blips 0.5-4 s in an empty car about once in 2 hours;
- ``motion``: PIR-like, sees only movement (and holds its output 5 s after it, as PIR
  modules do): an occupant is seen while the doors move and in 1-4 s bursts between
  still periods drawn from a heavy-tailed (Pareto, alpha 1.2) distribution, 10-120 s;
- ``dropout``: sees occupants, but drops out when the car stops (for 20-600 s, until
  the doors open);
- ``stuck_on``: reports presence always (an empty car "occupied");
- ``dead``: never reports presence.

Load cell (kg): the true load plus a per-elevator empty-car offset (20-120 kg) that
drifts (up to ±15 kg a day) and Gaussian noise (2-6 kg), clipped at 0; absent on some
terminals (the optional field is left at 0).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from domain.codes import CAR_RUNNING, DOOR_CLOSED
from domain.samples import StatusColumns

B = npt.NDArray[np.bool_]
I64 = npt.NDArray[np.int64]
F32 = npt.NDArray[np.float32]
DAY_MS = 86_400_000
PIR_HOLD_MS = 5_000


class PresenceModel(StrEnum):
    FLICKER = "flicker"
    MOTION = "motion"
    DROPOUT = "dropout"
    STUCK_ON = "stuck_on"
    DEAD = "dead"


class Reporting(StrEnum):
    PERIODIC = "periodic"  # every 5 s
    ON_CHANGE = "on_change"  # on every change, plus a heartbeat every 10-15 s
    SPARSE = "sparse"  # every 10-20 s, jittered
    DUPLICATED = "duplicated"  # every 5 s, 10 % duplicated, deliveries reordered


# The fleet mix (today's flicker sensor and periodic reporting are the commonest).
PRESENCE_MIX = {"flicker": 0.5, "motion": 0.2, "dropout": 0.15, "stuck_on": 0.08, "dead": 0.07}
REPORTING_MIX = {"periodic": 0.5, "on_change": 0.25, "sparse": 0.15, "duplicated": 0.1}
LOAD_CELL_SHARE = 0.8


@dataclass(frozen=True)
class SensorProfile:
    presence: PresenceModel = PresenceModel.FLICKER
    load_cell: bool = True
    reporting: Reporting = Reporting.PERIODIC
    load_offset_kg: float = 40.0
    load_drift_kg_day: float = 0.0
    load_noise_kg: float = 3.0
    heartbeat_s: float = 12.0

    @property
    def cell(self) -> str:
        """The sweep cell: ``<presence>/<load|no_load>/<reporting>``."""
        return f"{self.presence}/{'load' if self.load_cell else 'no_load'}/{self.reporting}"


def draw_profile(
    rng: np.random.Generator,
    presence: PresenceModel | None = None,
    load_cell: bool | None = None,
    reporting: Reporting | None = None,
) -> SensorProfile:
    """A terminal's profile: the given parts, the rest drawn from the fleet mix."""
    if presence is None:
        presence = PresenceModel(rng.choice(list(PRESENCE_MIX), p=list(PRESENCE_MIX.values())))
    if reporting is None:
        reporting = Reporting(rng.choice(list(REPORTING_MIX), p=list(REPORTING_MIX.values())))
    if load_cell is None:
        load_cell = bool(rng.random() < LOAD_CELL_SHARE)
    return SensorProfile(
        presence=presence,
        load_cell=load_cell,
        reporting=reporting,
        load_offset_kg=float(rng.uniform(20.0, 120.0)),
        load_drift_kg_day=float(rng.uniform(-15.0, 15.0)),
        load_noise_kg=float(rng.uniform(2.0, 6.0)),
        heartbeat_s=float(rng.uniform(10.0, 15.0)),
    )


def _intervals(
    t0: int, t1: int, rate_per_s: float, lo_s: float, hi_s: float, rng: np.random.Generator
) -> tuple[I64, I64]:
    """Poisson-started intervals of uniform length in [t0, t1): (starts, ends) in ms."""
    n = int(rng.poisson(rate_per_s * (t1 - t0) / 1000.0))
    starts = np.sort(rng.integers(t0, max(t0 + 1, t1), n)).astype(np.int64)
    ends = starts + (rng.uniform(lo_s, hi_s, n) * 1000).astype(np.int64)
    return starts, ends


def _inside(ts: I64, starts: I64, ends: I64) -> B:
    """Whether each time falls in one of the intervals (starts sorted)."""
    if starts.shape[0] == 0:
        return np.zeros(ts.shape[0], np.bool_)
    idx = np.searchsorted(starts, ts, side="right") - 1
    ok = idx >= 0
    # the latest-ending interval started at or before each time
    reach = np.maximum.accumulate(ends)
    out: B = ok & (ts < reach[np.maximum(idx, 0)])
    return out


def _motion_bursts(t0: int, t1: int, rng: np.random.Generator) -> tuple[I64, I64]:
    """Alternating still periods (Pareto, 10-120 s) and movement bursts (1-4 s)."""
    mean_cycle_s = 40.0
    n = int((t1 - t0) / 1000.0 / mean_cycle_s * 1.5) + 4
    still = np.clip(10.0 * (1.0 + rng.pareto(1.2, n)), 10.0, 120.0)
    burst = rng.uniform(1.0, 4.0, n)
    cycle = np.cumsum(still + burst)
    starts = t0 + ((cycle - burst) * 1000).astype(np.int64)
    ends = t0 + (cycle * 1000).astype(np.int64)
    return starts, ends


def presence_reading(
    model: PresenceModel,
    ts: I64,
    occupied: B,
    car: npt.NDArray[np.int8],
    door: npt.NDArray[np.int8],
    rng: np.random.Generator,
) -> B:
    """What the presence sensor reports at each sample, given the true occupancy."""
    n = ts.shape[0]
    if model is PresenceModel.STUCK_ON:
        return np.ones(n, np.bool_)
    if model is PresenceModel.DEAD or n == 0:
        return np.zeros(n, np.bool_)
    t0, t1 = int(ts[0]), int(ts[-1]) + 1
    if model is PresenceModel.FLICKER:
        gaps = _inside(ts, *_intervals(t0, t1, 1 / 40.0, 1.0, 8.0, rng))
        blips = _inside(ts, *_intervals(t0, t1, 1 / 7200.0, 0.5, 4.0, rng))
        out: B = (occupied & ~gaps) | (~occupied & blips)
        return out
    if model is PresenceModel.MOTION:
        moving = _hold((door != DOOR_CLOSED) | _inside(ts, *_motion_bursts(t0, t1, rng)), ts)
        out = occupied & moving
        return out
    return occupied & ~_stop_dropouts(ts, car, door, rng)


def _hold(moving: B, ts: I64) -> B:
    """A PIR module holds its output ``PIR_HOLD_MS`` after the last movement."""
    last = np.maximum.accumulate(np.where(moving, ts, np.iinfo(np.int64).min))
    out: B = ts - last <= PIR_HOLD_MS
    return out


def _stop_dropouts(
    ts: I64, car: npt.NDArray[np.int8], door: npt.NDArray[np.int8], rng: np.random.Generator
) -> B:
    """From each stop (running -> stopped) for 20-600 s or until the doors open."""
    running = car == CAR_RUNNING
    stops = np.flatnonzero(~running[1:] & running[:-1]) + 1
    if stops.shape[0] == 0:
        return np.zeros(ts.shape[0], np.bool_)
    length = (rng.uniform(20.0, 600.0, stops.shape[0]) * 1000).astype(np.int64)
    out: B = _inside(ts, ts[stops], ts[stops] + length)
    # ... until the doors open (or the car runs again)
    awake = (door != DOOR_CLOSED) | running
    last_awake = np.maximum.accumulate(np.where(awake, np.arange(ts.shape[0]), -1))
    stop_idx = np.zeros(ts.shape[0], np.int64) - 1
    stop_idx[stops] = stops
    np.maximum.accumulate(stop_idx, out=stop_idx)
    out &= last_awake < stop_idx
    return out


def load_reading(
    profile: SensorProfile, ts: I64, true_load: F32, t_start: int, rng: np.random.Generator
) -> F32:
    """The load cell's reading (kg): 0 without a load cell."""
    n = ts.shape[0]
    if not profile.load_cell:
        return np.zeros(n, np.float32)
    days = (ts - t_start) / DAY_MS
    offset = profile.load_offset_kg + profile.load_drift_kg_day * days
    noisy = true_load + offset + rng.normal(0.0, profile.load_noise_kg, n)
    out: F32 = np.maximum(noisy, 0.0).astype(np.float32)
    return out


def take(cols: StatusColumns, idx: npt.NDArray[np.intp]) -> StatusColumns:
    """The samples at ``idx`` (every column)."""
    names = [f for f in StatusColumns.__dataclass_fields__ if f not in ("elevator_id", "analog")]
    return StatusColumns(
        elevator_id=cols.elevator_id,
        analog={k: v[idx] for k, v in cols.analog.items()},
        **{n: getattr(cols, n)[idx] for n in names},
    )
