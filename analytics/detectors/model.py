"""What detectors emit (:class:`AlarmEvent`), what they know of an elevator
(:class:`ElevatorSpec`), and the vectorised preparation of status columns.

The per-elevator state machines only step on samples whose *rule-relevant* state
changed. :func:`sample_keys` computes, with numpy, one small integer key per sample packing
every predicate the rules look at (car running, door state, passenger while stopped,
service mode, door zone while stopped, power, overspeed tier, beyond a terminal floor),
and the indices where that key changes or where a sample must be seen on its own
(moving with doors open, overspeed: they count consecutive samples). A parked elevator
reporting every 5 s costs no Python at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from domain.alarms import AlarmType
from domain.codes import CAR_RUNNING as RUNNING_ID
from domain.codes import DOOR_CLOSED as CLOSED_ID
from domain.codes import MODE_INSPECTION as INSPECTION_ID
from domain.codes import MODE_NORMAL as NORMAL_ID
from domain.codes import POWER_CUT as POWER_CUT_ID
from domain.samples import StatusColumns

# Bits of the per-sample key.
RUNNING = 1  # car running
DOOR_SHIFT = 1  # 3 bits: door state id
DOOR_MASK = 7 << DOOR_SHIFT
PASSENGER = 1 << 4  # presence reported (by a sensor whose health allows it)
NORMAL_SERVICE = 1 << 5  # normal service
INSPECTION = 1 << 6  # inspection mode
DOOR_ZONE = 1 << 7  # in the door zone (only while stopped)
POWER_CUT = 1 << 8  # main power cut
OVERSPEED_1 = 1 << 9  # speed above tier 1
OVERSPEED_2 = 1 << 10  # speed above tier 2
BEYOND_TOP = 1 << 11  # floor above the top landing
BEYOND_BOTTOM = 1 << 12  # floor below the bottom landing
DOOR_NOT_CLOSED_RUNNING = 1 << 13  # car running with doors not fully closed
LOADED = 1 << 14  # car load above the learned empty-car baseline (a person's weight)
DOOR_CYCLED = 1 << 15  # the door-cycle counter rose since the previous sample (doors opened)
RAN = 1 << 16  # the runs counter rose since the previous sample (the car ran)


@dataclass(frozen=True, slots=True)
class AlarmEvent:
    """A detector raising or clearing one alarm type for one elevator at an event time."""

    elevator_id: int
    alarm_type: AlarmType
    raised: bool
    at_ms: int
    source: str = "telemetry"  # "telemetry" (our rules) or "terminal" (reported code)
    detail: dict[str, Any] = field(default_factory=dict)


def top_landing(lowest_floor: int, floors: int) -> int:
    """The top floor label when floors are numbered from ``lowest_floor`` without a 0."""
    top = lowest_floor + floors - 1
    return top + 1 if lowest_floor <= 0 <= top else top


@dataclass(frozen=True, slots=True)
class ElevatorSpec:
    """The facts about one elevator the rules need."""

    rated_speed: float = 1.75
    top_floor: int = 32767
    bottom_floor: int = -32768
    report_interval_s: float = 5.0

    @classmethod
    def of(
        cls, rated_speed: float, lowest_floor: int, floors: int, report_interval_s: float
    ) -> ElevatorSpec:
        """The spec of an elevator as registered (floors numbered without a 0)."""
        return cls(
            rated_speed=float(rated_speed),
            top_floor=top_landing(int(lowest_floor), int(floors)),
            bottom_floor=int(lowest_floor),
            report_interval_s=float(report_interval_s),
        )


def sample_keys(
    cols: StatusColumns,
    rated: npt.NDArray[np.float32] | float,
    top: npt.NDArray[np.int32] | int,
    bottom: npt.NDArray[np.int32] | int,
    factor_1: float,
    factor_2: float,
    presence_ok: npt.NDArray[np.bool_] | bool = True,
    load_limit: npt.NDArray[np.float32] | float = np.inf,
    counters: tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]] | None = None,
) -> npt.NDArray[np.int32]:
    """One key per sample (see the module docstring); rated/top/bottom per sample or
    scalar. ``presence_ok`` masks presence from a sensor learned to be stuck;
    ``load_limit`` is the load (kg) above which a person is in the car (inf: no usable
    load cell); ``counters`` whether the door-cycle and runs counters rose since the
    previous sample (:func:`counter_steps`)."""
    running = cols.car == RUNNING_ID
    stopped = ~running
    key: npt.NDArray[np.int32] = running.astype(np.int32)
    key |= cols.door.astype(np.int32) << DOOR_SHIFT
    key |= (cols.passenger & presence_ok).astype(np.int32) << 4
    key |= (cols.mode == NORMAL_ID).astype(np.int32) << 5
    key |= (cols.mode == INSPECTION_ID).astype(np.int32) << 6
    key |= (cols.door_zone & stopped).astype(np.int32) << 7
    key |= (cols.power == POWER_CUT_ID).astype(np.int32) << 8
    speed = np.abs(cols.speed)
    key |= (speed > np.multiply(rated, factor_1)).astype(np.int32) << 9
    key |= (speed > np.multiply(rated, factor_2)).astype(np.int32) << 10
    # Overtravel: beyond a terminal landing (the floor label saturates there, so a car
    # stopped above the top landing shows the top floor, outside the zone, leveling > 0).
    beyond = stopped & ~cols.door_zone
    key |= ((cols.floor > top) | (beyond & (cols.floor >= top) & (cols.leveling_mm > 0))).astype(
        np.int32
    ) << 11
    key |= (
        (cols.floor < bottom) | (beyond & (cols.floor <= bottom) & (cols.leveling_mm < 0))
    ).astype(np.int32) << 12
    key |= (running & (cols.door != CLOSED_ID)).astype(np.int32) << 13
    key |= (cols.load > load_limit).astype(np.int32) << 14
    if counters is not None:
        key |= counters[0].astype(np.int32) << 15
        key |= counters[1].astype(np.int32) << 16
    return key


def counter_steps(
    cols: StatusColumns,
    starts: npt.NDArray[np.intp],
    last_cycles: npt.NDArray[np.int64],
    last_runs: npt.NDArray[np.int64],
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """Per sample: did the door-cycle (runs) counter rise since the previous sample of
    the same elevator (``last_*``: its value before the batch, -1 unknown)? A terminal
    that reports sparsely misses door openings and trips; its counters do not."""
    out = []
    for col, last in ((cols.door_cycles, last_cycles), (cols.runs, last_runs)):
        prev = np.empty(col.shape[0], np.int64)
        prev[1:] = col[:-1]
        prev[starts] = last
        out.append((prev >= 0) & (col > prev))
    return out[0], out[1]


def step_mask(key: npt.NDArray[np.int32], starts: npt.NDArray[np.intp]) -> npt.NDArray[np.bool_]:
    """Samples a state machine must see: key changes, segment starts, per-sample rules."""
    n = key.shape[0]
    mask = np.empty(n, dtype=np.bool_)
    if n == 0:
        return mask
    mask[0] = True
    np.not_equal(key[1:], key[:-1], out=mask[1:])
    mask[starts] = True
    mask |= (key & (DOOR_NOT_CLOSED_RUNNING | OVERSPEED_1 | DOOR_CYCLED | RAN)) != 0
    return mask


def take_samples(cols: StatusColumns, idx: npt.NDArray[np.intp]) -> StatusColumns:
    """The samples at ``idx`` (every column, the analog channels too)."""
    return StatusColumns(
        elevator_id=cols.elevator_id,
        ts_ms=cols.ts_ms[idx],
        seq=cols.seq[idx],
        car=cols.car[idx],
        dir=cols.dir[idx],
        floor=cols.floor[idx],
        door_zone=cols.door_zone[idx],
        door=cols.door[idx],
        passenger=cols.passenger[idx],
        mode=cols.mode[idx],
        power=cols.power[idx],
        speed=cols.speed[idx],
        load=cols.load[idx],
        leveling_mm=cols.leveling_mm[idx],
        run_hours=cols.run_hours[idx],
        runs=cols.runs[idx],
        door_cycles=cols.door_cycles[idx],
        analog={k: v[idx] for k, v in cols.analog.items()},
    )
