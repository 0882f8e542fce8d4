"""Hand-built status columns for detector tests."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np

from domain.codes import (
    CAR_STATUS_IDS,
    DOOR_STATE_IDS,
    POWER_STATE_IDS,
    SERVICE_MODE_IDS,
    CarStatus,
    DoorState,
    PowerState,
    ServiceMode,
)
from domain.samples import StatusColumns

T0 = 1_700_000_000_000

PARKED: dict[str, Any] = {
    "car": CarStatus.STOPPED,
    "floor": 3,
    "zone": True,
    "door": DoorState.CLOSED,
    "passenger": False,
    "mode": ServiceMode.NORMAL,
    "power": PowerState.NORMAL,
    "speed": 0.0,
}


def cols(rows: Sequence[Any], elevator_id: int = 1) -> StatusColumns:
    """Columns from (seconds after T0, changes to the parked state) rows; each row's
    changes persist into later rows (like a terminal's state)."""
    state = dict(PARKED)
    out: list[dict[str, Any]] = []
    for _, change in rows:
        state = {**state, **change}
        out.append(state)
    n = len(rows)
    return StatusColumns(
        elevator_id=elevator_id,
        ts_ms=np.array([T0 + round(t * 1000) for t, _ in rows], np.int64),
        seq=np.arange(n, dtype=np.int64),
        car=np.array([CAR_STATUS_IDS[s["car"]] for s in out], np.int8),
        dir=np.zeros(n, np.int8),
        floor=np.array([s["floor"] for s in out], np.int16),
        door_zone=np.array([s["zone"] for s in out], np.bool_),
        door=np.array([DOOR_STATE_IDS[s["door"]] for s in out], np.int8),
        passenger=np.array([s["passenger"] for s in out], np.bool_),
        mode=np.array([SERVICE_MODE_IDS[s["mode"]] for s in out], np.int8),
        power=np.array([POWER_STATE_IDS[s["power"]] for s in out], np.int8),
        speed=np.array([s["speed"] for s in out], np.float32),
        load=np.zeros(n, np.float32),
        leveling_mm=np.zeros(n, np.float32),
        run_hours=np.zeros(n, np.float32),
        runs=np.zeros(n, np.int32),
        door_cycles=np.zeros(n, np.int32),
    )


Rows = list[Any]


def periodic(t0: float, t1: float, every: float = 5.0) -> Rows:
    """Unchanged periodic samples from t0 (exclusive) to t1 (inclusive)."""
    k = int((t1 - t0) // every)
    return [(t0 + every * (i + 1), {}) for i in range(k)]


def at(seconds: float) -> int:
    return T0 + round(seconds * 1000)


def concat(parts: Sequence[StatusColumns]) -> StatusColumns:
    """Samples of several elevators in one set of columns (elevator_id -1)."""
    fields = {
        f.name: np.concatenate([getattr(p, f.name) for p in parts])
        for f in dataclasses.fields(StatusColumns)
        if f.name not in ("elevator_id", "analog")
    }
    return StatusColumns(elevator_id=-1, analog={}, **fields)
