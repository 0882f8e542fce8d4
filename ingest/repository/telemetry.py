"""Telemetry and terminal events: binary COPY into temporary staging tables, then
``INSERT ... SELECT ... ON CONFLICT DO NOTHING`` into ``telemetry`` / ``terminal_events``
(keys (elevator_id, ts, seq)), and the newest-by-event-time ``elevator_status`` upsert.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec
import psycopg

from domain.codes import (
    CAR_STATUS_IDS,
    DIRECTION_IDS,
    DOOR_STATE_IDS,
    POWER_STATE_IDS,
    SERVICE_MODE_IDS,
)
from domain.telemetry import EventMessage, StatusMessage
from ingest.registry import ElevatorRef

# (elevator, message, received at ms, topic), as decoded
StatusRow = tuple[ElevatorRef, StatusMessage, int, str]
EventRow = tuple[ElevatorRef, EventMessage, int, str]

_STAGE = """
CREATE TEMP TABLE IF NOT EXISTS ingest_stage_telemetry (
    ts_ms bigint, elevator_id integer, seq bigint, received_ms bigint,
    car smallint, dir smallint, floor smallint, door_zone boolean, door smallint,
    passenger boolean, mode smallint, power smallint, speed real, load real,
    leveling_mm real, run_hours real, runs integer, door_cycles integer, analog text
) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS ingest_stage_events (
    ts_ms bigint, elevator_id integer, seq bigint, received_ms bigint,
    code smallint, active boolean, floor smallint, detail text
) ON COMMIT DELETE ROWS;
"""
_TELEMETRY_TYPES = [
    "int8", "int4", "int8", "int8", "int2", "int2", "int2", "bool", "int2",
    "bool", "int2", "int2", "float4", "float4", "float4", "float4", "int4", "int4", "text",
]  # fmt: skip
_EVENT_TYPES = ["int8", "int4", "int8", "int8", "int2", "bool", "int2", "text"]

# Event time is staged as int ms since the epoch; the conversion is exact.
_INSERT_TELEMETRY = """
INSERT INTO telemetry (ts, elevator_id, seq, received_at, car, dir, floor, door_zone, door,
                       passenger, mode, power, speed, load, leveling_mm, run_hours, runs,
                       door_cycles, analog)
SELECT ('epoch'::timestamptz + ts_ms * interval '1 millisecond'),
       elevator_id, seq,
       ('epoch'::timestamptz + received_ms * interval '1 millisecond'),
       car, dir, floor,
       door_zone, door, passenger, mode, power, speed, load, leveling_mm, run_hours, runs,
       door_cycles, analog::jsonb
FROM ingest_stage_telemetry
ON CONFLICT DO NOTHING
"""
_UPSERT_STATUS = """
INSERT INTO elevator_status AS s (elevator_id, ts, seq, car, dir, floor, door_zone, door,
                                  passenger, mode, power, speed, received_at)
SELECT DISTINCT ON (elevator_id) elevator_id,
       ('epoch'::timestamptz + ts_ms * interval '1 millisecond'),
       seq, car, dir, floor, door_zone, door, passenger, mode, power, speed,
       ('epoch'::timestamptz + received_ms * interval '1 millisecond')
FROM ingest_stage_telemetry
ORDER BY elevator_id, ts_ms DESC, seq DESC
ON CONFLICT (elevator_id) DO UPDATE SET
    ts = EXCLUDED.ts, seq = EXCLUDED.seq, car = EXCLUDED.car, dir = EXCLUDED.dir,
    floor = EXCLUDED.floor, door_zone = EXCLUDED.door_zone, door = EXCLUDED.door,
    passenger = EXCLUDED.passenger, mode = EXCLUDED.mode, power = EXCLUDED.power,
    speed = EXCLUDED.speed, received_at = EXCLUDED.received_at
WHERE (s.ts, s.seq) < (EXCLUDED.ts, EXCLUDED.seq)
"""
_INSERT_EVENTS = """
INSERT INTO terminal_events (ts, elevator_id, seq, received_at, code, active, floor, detail)
SELECT ('epoch'::timestamptz + ts_ms * interval '1 millisecond'),
       elevator_id, seq,
       ('epoch'::timestamptz + received_ms * interval '1 millisecond'),
       code, active,
       floor, detail
FROM ingest_stage_events
ON CONFLICT DO NOTHING
"""


def create_staging(conn: psycopg.Connection[Any]) -> None:
    """The session's staging tables (emptied at every commit); once per connection."""
    conn.execute(_STAGE)
    conn.commit()


def store_statuses(cursor: psycopg.Cursor[Any], statuses: Sequence[StatusRow]) -> int:
    """Stage and store status messages, update the elevators' newest status; returns
    how many rows were new (the rest were stored already)."""
    _copy_statuses(cursor, statuses)
    cursor.execute(_INSERT_TELEMETRY)
    stored = max(cursor.rowcount, 0)
    cursor.execute(_UPSERT_STATUS)
    return stored


def store_events(cursor: psycopg.Cursor[Any], events: Sequence[EventRow]) -> int:
    """Stage and store terminal events; returns how many rows were new."""
    with cursor.copy("COPY ingest_stage_events FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(_EVENT_TYPES)
        for ref, event, received_ms, _ in events:
            copy.write_row(
                (event.ts, ref.elevator_id, event.seq, received_ms, event.code, event.active,
                 event.floor, event.detail.replace("\x00", ""))
            )  # fmt: skip
    cursor.execute(_INSERT_EVENTS)
    return max(cursor.rowcount, 0)


def _copy_statuses(cursor: psycopg.Cursor[Any], statuses: Sequence[StatusRow]) -> None:
    # The hot loop: locals for the lookups, one tuple per row.
    cars, dirs, doors = CAR_STATUS_IDS, DIRECTION_IDS, DOOR_STATE_IDS
    modes, powers = SERVICE_MODE_IDS, POWER_STATE_IDS
    encode = msgspec.json.encode
    with cursor.copy("COPY ingest_stage_telemetry FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(_TELEMETRY_TYPES)
        write = copy.write_row
        for ref, status, received_ms, _ in statuses:
            counters = status.counters
            write(
                (
                    status.ts, ref.elevator_id, status.seq, received_ms, cars[status.car],
                    dirs[status.dir], status.floor, status.door_zone, doors[status.door],
                    status.passenger, modes[status.mode], powers[status.power], status.speed,
                    status.load, status.leveling_mm, counters.run_hours, counters.runs,
                    counters.door_cycles,
                    encode(status.analog).decode() if status.analog else None,
                )
            )  # fmt: skip
