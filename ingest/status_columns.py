"""A batch's status messages as the detectors' columns (pure numpy)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from domain.codes import CAR_STATUS_IDS, DOOR_STATE_IDS, POWER_STATE_IDS, SERVICE_MODE_IDS
from domain.samples import StatusColumns
from domain.telemetry import StatusMessage


def columns_of(
    statuses: list[tuple[int, StatusMessage]],
) -> tuple[npt.NDArray[np.int64], StatusColumns]:
    """Elevator ids and status columns of a batch, sorted by (elevator, event time)."""
    count = len(statuses)
    elevator_ids = np.fromiter((s[0] for s in statuses), np.int64, count)
    ts = np.fromiter((s[1].ts for s in statuses), np.int64, count)
    order = np.lexsort((ts, elevator_ids))
    messages = [statuses[i][1] for i in order.tolist()]
    zeros32 = np.zeros(count, np.int32)
    zeros_float = np.zeros(count, np.float32)
    columns = StatusColumns(
        elevator_id=-1,
        ts_ms=ts[order],
        seq=np.fromiter((m.seq for m in messages), np.int64, count),
        car=np.fromiter((CAR_STATUS_IDS[m.car] for m in messages), np.int8, count),
        dir=np.zeros(count, np.int8),
        floor=np.fromiter((m.floor for m in messages), np.int16, count),
        door_zone=np.fromiter((m.door_zone for m in messages), np.bool_, count),
        door=np.fromiter((DOOR_STATE_IDS[m.door] for m in messages), np.int8, count),
        passenger=np.fromiter((m.passenger for m in messages), np.bool_, count),
        mode=np.fromiter((SERVICE_MODE_IDS[m.mode] for m in messages), np.int8, count),
        power=np.fromiter((POWER_STATE_IDS[m.power] for m in messages), np.int8, count),
        speed=np.fromiter((m.speed for m in messages), np.float32, count),
        load=zeros_float,
        leveling_mm=zeros_float,
        run_hours=zeros_float,
        runs=zeros32,
        door_cycles=zeros32,
    )
    return elevator_ids[order], columns


def empty_columns() -> StatusColumns:
    int8 = np.zeros(0, np.int8)
    float32 = np.zeros(0, np.float32)
    int32 = np.zeros(0, np.int32)
    return StatusColumns(
        elevator_id=-1,
        ts_ms=np.zeros(0, np.int64),
        seq=np.zeros(0, np.int64),
        car=int8,
        dir=int8,
        floor=np.zeros(0, np.int16),
        door_zone=np.zeros(0, np.bool_),
        door=int8,
        passenger=np.zeros(0, np.bool_),
        mode=int8,
        power=int8,
        speed=float32,
        load=float32,
        leveling_mm=float32,
        run_hours=float32,
        runs=int32,
        door_cycles=int32,
    )
