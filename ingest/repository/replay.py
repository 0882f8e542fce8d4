"""What a detector runner reads back when it starts or takes elevators over: stored
status samples and terminal events of a time window (in event-time order per elevator),
and its checkpoint (how far its alarms are durably written)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import psycopg
from psycopg.rows import args_row, scalar_row

from domain.samples import StatusColumns
from domain.telemetry import SCHEMA_VERSION, EventMessage

_STATUSES = """
SELECT elevator_id, (extract(epoch FROM ts) * 1000)::bigint, seq, car, dir, floor,
       door_zone, door, passenger, mode, power, speed, load, leveling_mm, run_hours, runs,
       door_cycles
FROM telemetry
WHERE elevator_id = ANY(%(ids)s) AND ts >= %(since)s AND ts <= %(until)s
ORDER BY elevator_id, ts, seq
"""
_EVENTS = """
SELECT elevator_id, (extract(epoch FROM ts) * 1000)::bigint, seq, code, active, floor, detail
FROM terminal_events
WHERE elevator_id = ANY(%(ids)s) AND ts >= %(since)s AND ts <= %(until)s
ORDER BY elevator_id, ts, seq
"""
# How far each elevator's terminal clock trailed ingest's at its latest stored sample
_CLOCK_LAGS = """
SELECT DISTINCT ON (elevator_id)
       elevator_id, (extract(epoch FROM received_at - ts) * 1000)::bigint
FROM telemetry
WHERE elevator_id = ANY(%(ids)s) AND ts >= %(since)s AND ts <= %(until)s
ORDER BY elevator_id, ts DESC
"""
# (name of the column, numpy dtype), in the order of _STATUSES after elevator_id
_COLUMNS: tuple[tuple[str, type[np.generic]], ...] = (
    ("ts_ms", np.int64), ("seq", np.int64), ("car", np.int8), ("dir", np.int8),
    ("floor", np.int16), ("door_zone", np.bool_), ("door", np.int8),
    ("passenger", np.bool_), ("mode", np.int8), ("power", np.int8),
    ("speed", np.float32), ("load", np.float32), ("leveling_mm", np.float32),
    ("run_hours", np.float32), ("runs", np.int32), ("door_cycles", np.int32),
)  # fmt: skip


@dataclass(frozen=True)
class StoredStatuses:
    """Stored samples of several elevators, sorted by (elevator, event time)."""

    elevator_ids: npt.NDArray[np.int64]
    columns: StatusColumns


def fetch_statuses(
    conn: psycopg.Connection[Any], elevator_ids: Sequence[int], since: datetime, until: datetime
) -> StoredStatuses:
    """The samples of ``elevator_ids`` with event time in [since, until]."""
    params = {"ids": list(elevator_ids), "since": since, "until": until}
    rows = conn.execute(_STATUSES, params).fetchall()
    count = len(rows)
    fields = list(zip(*rows, strict=True)) if rows else [()] * (len(_COLUMNS) + 1)
    arrays = {
        name: np.fromiter(values, dtype, count)
        for (name, dtype), values in zip(_COLUMNS, fields[1:], strict=True)
    }
    columns = StatusColumns(elevator_id=-1, **arrays)  # type: ignore[arg-type]
    return StoredStatuses(np.fromiter(fields[0], np.int64, count), columns)


def fetch_events(
    conn: psycopg.Connection[Any], elevator_ids: Sequence[int], since: datetime, until: datetime
) -> dict[int, list[EventMessage]]:
    """The terminal events of ``elevator_ids`` with event time in [since, until]."""
    params = {"ids": list(elevator_ids), "since": since, "until": until}
    out: dict[int, list[EventMessage]] = {}

    def event(
        elevator_id: int, ts: int, seq: int, code: int, active: bool, floor: int | None,
        detail: str,
    ) -> tuple[int, EventMessage]:  # fmt: skip
        return elevator_id, EventMessage(SCHEMA_VERSION, seq, ts, code, active, floor, detail)

    with conn.cursor(row_factory=args_row(event)) as cursor:
        for elevator_id, message in cursor.execute(_EVENTS, params):
            out.setdefault(elevator_id, []).append(message)
    return out


def fetch_checkpoint(conn: psycopg.Connection[Any], name: str) -> datetime | None:
    with conn.cursor(row_factory=scalar_row) as cursor:
        row = cursor.execute(
            "SELECT fired_to FROM detector_checkpoints WHERE name = %s", (name,)
        ).fetchone()
    return row if isinstance(row, datetime) else None


def save_checkpoint(conn: psycopg.Connection[Any], name: str, fired_to: datetime) -> None:
    """Move the checkpoint forward (never back)."""
    conn.execute(
        """INSERT INTO detector_checkpoints (name, fired_to) VALUES (%s, %s)
           ON CONFLICT (name) DO UPDATE
           SET fired_to = GREATEST(detector_checkpoints.fired_to, EXCLUDED.fired_to),
               updated_at = now()""",
        (name, fired_to),
    )


def fetch_clock_lags(
    conn: psycopg.Connection[Any], elevator_ids: Sequence[int], since: datetime, until: datetime
) -> dict[int, int]:
    """Per elevator with samples in [since, until]: received minus event time (ms) of its
    latest one, how far its clock trailed ingest's (transport latency and clock error)."""
    params = {"ids": list(elevator_ids), "since": since, "until": until}
    return {int(e): int(lag) for e, lag in conn.execute(_CLOCK_LAGS, params).fetchall()}
