"""An elevator's behaviour as a timeline of phases (piecewise-constant states).

A *phase* is an interval in which the car's discrete state (car, direction, door,
passenger, mode, power) is constant and its position follows one motion profile:
standing (``STAND``), a normal trip (``TRIP``: accelerate at ``acc``, cruise at ``v``,
decelerate; a triangle profile for short hops) or constant speed (``CONST``: creep,
inspection runs, overspeed). Status samples are read off the timeline afterwards
(:mod:`simulators.sampling`). Journeys are appended as whole numpy blocks; fault
episodes phase by phase through :class:`Car`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from domain.codes import DOOR_CLOSED as CLOSED
from domain.codes import DOOR_CLOSING as CLOSING
from domain.codes import DOOR_OPEN as OPEN
from domain.codes import DOOR_OPENING as OPENING
from domain.codes import MODE_NORMAL as NORMAL

STAND, TRIP, CONST = 0, 1, 2
ACC = 1.0  # m/s², normal acceleration and deceleration
DOOR_ZONE_M = 0.2  # half-width of the unlocking zone around a landing
Cols = dict[str, npt.NDArray[Any]]
COLUMNS = ("dur", "door", "pas", "mode", "power", "prof", "pos0", "pos1", "v", "load", "mark")


def trip_time_s(dist_m: npt.ArrayLike, v: float, acc: float = ACC) -> npt.NDArray[np.float64]:
    """Duration of a trapezoid (or triangle) trip over ``dist_m``."""
    d = np.abs(np.asarray(dist_m, dtype=np.float64))
    tri = d < v * v / acc
    out: npt.NDArray[np.float64] = np.where(tri, 2.0 * np.sqrt(d / acc), d / v + v / acc)
    return out


@dataclass
class Phases:
    """Columns of phases, appended in time order."""

    chunks: dict[str, list[npt.NDArray[np.generic]]] = field(
        default_factory=lambda: {c: [] for c in COLUMNS}
    )
    total_ms: int = 0

    def add_block(self, **cols: npt.NDArray[np.generic]) -> None:
        for c in COLUMNS:
            self.chunks[c].append(cols[c])
        self.total_ms += int(np.asarray(cols["dur"]).sum())

    def checkpoint(self) -> tuple[int, int]:
        return len(self.chunks["dur"]), self.total_ms

    def rollback(self, cp: tuple[int, int]) -> None:
        for c in COLUMNS:
            del self.chunks[c][cp[0] :]
        self.total_ms = cp[1]

    def columns(self) -> Cols:
        dtypes = {"dur": np.int64, "door": np.int8, "pas": np.bool_, "mode": np.int8,
                  "power": np.int8, "prof": np.int8, "pos0": np.float64, "pos1": np.float64,
                  "v": np.float64, "load": np.float32, "mark": np.bool_}  # fmt: skip
        return {
            c: (np.concatenate(self.chunks[c]).astype(dtypes[c]) if self.chunks[c]
                else np.empty(0, dtypes[c]))
            for c in COLUMNS
        }  # fmt: skip


@dataclass
class Car:
    """Phase-by-phase builder used by fault episodes; tracks time, position and state."""

    phases: Phases
    t_ms: int  # absolute time of the end of the timeline so far
    height: float  # floor-to-floor height (m)
    landings: int
    rated: float
    pos: float = 0.0
    mode: int = NORMAL
    power: int = 0
    door: int = CLOSED
    pas: bool = False
    load: float = 0.0

    @property
    def landing(self) -> int:
        return int(min(self.landings - 1, max(0, round(self.pos / self.height))))

    def level(self, landing: int) -> float:
        return landing * self.height

    def _add(self, dur_s: float, prof: int = STAND, pos1: float | None = None, v: float = 0.0,
             mark: bool = False) -> int:  # fmt: skip
        dur = max(1, round(dur_s * 1000))
        p1 = self.pos if pos1 is None else pos1
        self.phases.add_block(
            dur=np.array([dur]), door=np.array([self.door]), pas=np.array([self.pas]),
            mode=np.array([self.mode]), power=np.array([self.power]), prof=np.array([prof]),
            pos0=np.array([self.pos]), pos1=np.array([p1]), v=np.array([v]),
            load=np.array([self.load if self.pas else 0.0]), mark=np.array([mark]),
        )  # fmt: skip
        start = self.t_ms
        self.t_ms += dur
        self.pos = p1
        return start

    def stand(self, dur_s: float, mark: bool = False, **state: object) -> int:
        """Stand still for ``dur_s`` with the given state changes; returns the start ms."""
        for k, val in state.items():
            setattr(self, k, val)
        return self._add(dur_s, mark=mark)

    def trip_to(self, pos: float, v: float | None = None) -> int:
        """A normal trip (trapezoid profile) to ``pos``; returns the start ms."""
        v = v or self.rated
        self.door = CLOSED
        dur = float(trip_time_s(pos - self.pos, v))
        if dur <= 0:
            return self.t_ms
        return self._add(dur, TRIP, pos, v)

    def creep_to(self, pos: float, v: float, mark: bool = False, split_s: float = 0.0) -> int:
        """Constant-speed motion to ``pos`` (optionally split into ``split_s`` phases)."""
        dist = abs(pos - self.pos)
        dur = dist / v if v > 0 else 0.0
        if dur <= 0:
            return self.t_ms
        if split_s <= 0:
            return self._add(dur, CONST, pos, v, mark)
        start = self.t_ms
        steps = max(1, math.ceil(dur / split_s))
        p0 = self.pos
        for i in range(1, steps + 1):
            self._add(dur / steps, CONST, p0 + (pos - p0) * i / steps, v, mark=True)
        return start

    def door_cycle(self, open_s: float, close_s: float, dwell_s: float) -> int:
        """Open, dwell, close; returns the ms the door starts opening."""
        start = self.stand(open_s, door=OPENING)
        self.stand(dwell_s, door=OPEN)
        self.stand(close_s, door=CLOSING)
        self.door = CLOSED
        return start
