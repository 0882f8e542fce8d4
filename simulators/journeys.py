"""Normal service: passenger journeys appended to a timeline as one numpy block.

Each journey is 12 phases after an idle gap (doors closed, car empty): a trip empty to
the origin landing (skipped when already there), door opening, open (empty, then with
the boarding passengers), closing, a start delay, the trip with passengers, leveling,
opening, open (passengers leave), open empty, closing. Journeys start at their Poisson
arrival or when the car is free, whichever is later; journeys that would not finish
before the end of the block are dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from domain.codes import DOOR_CLOSED as CLOSED
from domain.codes import DOOR_CLOSING as CLOSING
from domain.codes import DOOR_OPEN as OPEN
from domain.codes import DOOR_OPENING as OPENING
from domain.codes import MODE_NORMAL as NORMAL
from simulators.timeline import (
    STAND,
    TRIP,
    Phases,
    trip_time_s,
)

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
PHASES_PER_JOURNEY = 13  # idle gap + 12


@dataclass(frozen=True)
class Shaft:
    """What the behaviour needs to know about one car."""

    height: float  # floor-to-floor (m)
    landings: int
    lobby: int  # landing index of floor 1
    rated: float  # m/s
    condition: float  # 0 healthy .. 1 bad

    def door_times(self, rng: np.random.Generator, k: int) -> tuple[F64, F64]:
        """Door opening and closing durations (s), slower as the door wears."""
        c = self.condition
        op = 2.2 + 1.4 * c + rng.normal(0.0, 0.12 + 0.2 * c, k)
        cl = 2.8 + 1.6 * c + rng.normal(0.0, 0.12 + 0.2 * c, k)
        return np.clip(op, 1.5, 8.0), np.clip(cl, 2.0, 9.0)

    def leveling_m(self, rng: np.random.Generator, k: int) -> F64:
        """Stop position error (m): a few mm when healthy, centimetres when worn."""
        out: F64 = np.clip(rng.normal(0.0, 0.002 + 0.018 * self.condition, k), -0.12, 0.12)
        return out


def pick_landings(shaft: Shaft, k: int, rng: np.random.Generator) -> tuple[I64, I64]:
    """Origin and destination landings: most journeys start or end at the lobby."""
    n = shaft.landings
    u = rng.random(k)
    other = rng.integers(0, n - 1, k)
    other = np.where(other >= shaft.lobby, other + 1, other)  # any landing but the lobby
    a = rng.integers(0, n, k)
    b = (a + rng.integers(1, n, k)) % n  # any landing but a
    lobby = np.full(k, shaft.lobby)
    origin = np.where(u < 0.45, lobby, np.where(u < 0.9, other, a))
    dest = np.where(u < 0.45, other, np.where(u < 0.9, lobby, b))
    return origin.astype(np.int64), dest.astype(np.int64)


OVERRUN_MS = 120_000


@dataclass(frozen=True)
class _Journeys:
    """Planned journeys: the 12 busy phases' durations (ms), start times, positions."""

    busy: I64  # (k, 12)
    starts: I64
    total: I64
    prev: F64  # car position before each journey
    origin: F64
    dest: F64

    def first(self, k: int) -> _Journeys:
        return _Journeys(
            self.busy[:k], self.starts[:k], self.total[:k], self.prev[:k], self.origin[:k],
            self.dest[:k],
        )  # fmt: skip


def _plan(shaft: Shaft, t0: int, pos0: float, arrivals: I64, rng: np.random.Generator) -> _Journeys:
    """Landings, leveling errors, phase durations and start times of every arrival."""
    k = arrivals.size
    h = shaft.height
    origin, dest = pick_landings(shaft, k, rng)
    err_o, err_d = shaft.leveling_m(rng, k), shaft.leveling_m(rng, k)
    po = origin * h + err_o
    pd = dest * h + err_d
    prev = np.concatenate(([pos0], pd[:-1]))
    r0 = np.where(np.abs(po - prev) < 0.3, 0.0, trip_time_s(po - prev, shaft.rated))
    po = np.where(r0 == 0.0, prev, po)
    do1, dc1 = shaft.door_times(rng, k)
    do2, dc2 = shaft.door_times(rng, k)
    secs = np.stack([
        r0, do1, rng.uniform(0.5, 1.5, k), rng.uniform(1.5, 5.0, k), dc1,
        rng.uniform(0.8, 1.5, k), trip_time_s(pd - po, shaft.rated),
        rng.uniform(0.4, 0.8, k), do2, rng.uniform(1.0, 3.0, k), rng.uniform(1.0, 3.0, k),
        dc2,
    ], axis=1)  # fmt: skip
    busy = np.round(secs * 1000).astype(np.int64)
    total = busy.sum(axis=1)
    before = np.concatenate(([0], np.cumsum(total)[:-1]))
    first = np.maximum(arrivals, t0)
    starts = np.maximum.accumulate(first - before) + before
    return _Journeys(busy, starts, total, prev, po, pd)


def _block(
    j: _Journeys, t0: int, shaft: Shaft, rng: np.random.Generator
) -> dict[str, npt.NDArray[np.generic]]:
    """The journeys' phases as one block (an idle gap + 12 phases each)."""
    k = j.starts.size
    prev_end = np.concatenate(([t0], (j.starts + j.total)[:-1]))
    gap = j.starts - prev_end
    dur = np.concatenate([gap[:, None], j.busy], axis=1)
    load = (1 + rng.poisson(0.7, k)) * 65.0
    zeros = np.zeros(k)
    f, t = False, True
    door = np.array([CLOSED, CLOSED, OPENING, OPEN, OPEN, CLOSING, CLOSED, CLOSED, CLOSED,
                     OPENING, OPEN, OPEN, CLOSING])  # fmt: skip
    pas = np.array([f, f, f, f, t, t, t, t, t, t, t, f, f])
    prof = np.array([STAND, TRIP] + [STAND] * 5 + [TRIP] + [STAND] * 5)
    # Positions: standing at prev (gap), trip prev->po, stand at po, trip po->pd, stand at pd.
    prev, po, pd = j.prev, j.origin, j.dest
    pos_start = np.stack([prev, prev] + [po] * 6 + [po] + [pd] * 4, axis=1)
    pos_end = np.stack([prev, po] + [po] * 6 + [pd] + [pd] * 4, axis=1)
    v = np.where(prof == TRIP, shaft.rated, 0.0)
    n = k * PHASES_PER_JOURNEY
    return dict(
        dur=dur.reshape(n), door=np.tile(door, k), pas=np.tile(pas, k),
        mode=np.full(n, NORMAL, np.int8), power=np.zeros(n, np.int8), prof=np.tile(prof, k),
        pos0=pos_start.reshape(n), pos1=pos_end.reshape(n), v=np.tile(v, k),
        load=(np.where(pas[None, :], load[:, None], zeros[:, None])).reshape(n),
        mark=np.zeros(n, np.bool_),
    )  # fmt: skip


def add_journeys(
    phases: Phases,
    shaft: Shaft,
    t0: int,
    pos0: float,
    end_ms: int,
    arrivals: I64,
    rng: np.random.Generator,
    overrun: bool = False,
) -> tuple[int, float, int]:
    """Append journeys in ``[t0, end_ms)`` ending with an idle phase up to ``end_ms``.

    Requests before ``t0`` wait for the car. Journeys that would end after ``end_ms`` are
    left out, unless ``overrun``: then journeys starting up to ``OVERRUN_MS`` after
    ``end_ms`` are served too and the timeline may end later (a simulation window's end
    must not drop the queue; a saturated car's endless queue is still cut).
    Returns (end time, final car position, journeys appended).
    """
    k = 0
    if arrivals.size:
        planned = _plan(shaft, t0, pos0, arrivals, rng)
        s, total = planned.starts, planned.total
        last = s > end_ms + OVERRUN_MS if overrun else s + total > end_ms
        k = int(np.searchsorted(last, True))
    if k == 0:
        phases.add_block(**_idle(max(0, end_ms - t0), pos0))
        return max(end_ms, t0), pos0, 0
    journeys = planned.first(k)
    phases.add_block(**_block(journeys, t0, shaft, rng))
    t_end = int(journeys.starts[-1] + journeys.total[-1])
    final = float(journeys.dest[-1])
    phases.add_block(**_idle(max(0, end_ms - t_end), final))
    return max(end_ms, t_end), final, k


def _idle(dur_ms: int, pos: float) -> dict[str, npt.NDArray[np.generic]]:
    return {
        "dur": np.array([dur_ms]), "door": np.array([CLOSED]), "pas": np.array([False]),
        "mode": np.array([NORMAL]), "power": np.array([0]), "prof": np.array([STAND]),
        "pos0": np.array([pos]), "pos1": np.array([pos]), "v": np.array([0.0]),
        "load": np.array([0.0]), "mark": np.array([False]),
    }  # fmt: skip
