"""The detectors' learned sensor health, saved per elevator (``sensor_health``): a batched
upsert of snapshots and a read of the snapshots of given elevators."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import msgspec
import psycopg
from psycopg.rows import class_row

_SAVE = """
INSERT INTO sensor_health (elevator_id, health, updated_at)
SELECT s.elevator_id, s.health::jsonb, now()
FROM unnest(%(ids)s::integer[], %(health)s::text[]) AS s (elevator_id, health)
JOIN elevators e ON e.id = s.elevator_id
ON CONFLICT (elevator_id) DO UPDATE
SET health = EXCLUDED.health, updated_at = EXCLUDED.updated_at
WHERE CASE WHEN jsonb_typeof(sensor_health.health -> 'to_ms') = 'number'
           THEN (sensor_health.health ->> 'to_ms')::numeric ELSE -1 END
   <= CASE WHEN jsonb_typeof(EXCLUDED.health -> 'to_ms') = 'number'
           THEN (EXCLUDED.health ->> 'to_ms')::numeric ELSE -1 END
"""
_FETCH = """
SELECT elevator_id, health FROM sensor_health WHERE elevator_id = ANY(%(ids)s)
"""
# The report intervals the detectors learned (``gap_n``, ``gap_mean_ms``), for ingest's
# presence tracker at start. Entries that are not numbers in range are left out; they are
# compared as numeric first (any JSON number casts to it; not every one to float8).
_INTERVALS = """
SELECT elevator_id, n::float8, mean::float8
FROM (
    SELECT elevator_id,
           CASE WHEN jsonb_typeof(health -> 'gap_n') = 'number'
                THEN (health ->> 'gap_n')::numeric END AS n,
           CASE WHEN jsonb_typeof(health -> 'gap_mean_ms') = 'number'
                THEN (health ->> 'gap_mean_ms')::numeric END AS mean
    FROM sensor_health
) AS saved
WHERE n > 0 AND n <= 1e12 AND mean > 0 AND mean <= 86400000
"""
SAVE_CHUNK = 10_000  # snapshots per statement


@dataclass(frozen=True, slots=True)
class SensorHealthRow:
    elevator_id: int
    health: dict[str, Any]


def save_sensor_health(
    conn: psycopg.Connection[Any], snapshots: Mapping[int, Mapping[str, object]]
) -> int:
    """Insert or replace the snapshots of these elevators; a saved snapshot that counts
    later samples (a greater ``to_ms``: another runner's, newer) is kept, and elevators
    no longer registered are skipped. Returns the number written."""
    items = sorted(snapshots.items())  # one lock order for concurrent savers
    written = 0
    for first in range(0, len(items), SAVE_CHUNK):
        chunk = items[first : first + SAVE_CHUNK]
        params = {
            "ids": [elevator_id for elevator_id, _ in chunk],
            "health": [msgspec.json.encode(snap).decode() for _, snap in chunk],
        }
        cursor = conn.execute(_SAVE, params)
        written += max(cursor.rowcount, 0)
    return written


def fetch_sensor_health(
    conn: psycopg.Connection[Any], elevator_ids: Sequence[int]
) -> dict[int, dict[str, Any]]:
    """The saved snapshots of these elevators (those never saved are absent)."""
    with conn.cursor(row_factory=class_row(SensorHealthRow)) as cursor:
        rows = cursor.execute(_FETCH, {"ids": list(elevator_ids)}).fetchall()
    return {row.elevator_id: row.health for row in rows}


def fetch_report_intervals(conn: psycopg.Connection[Any]) -> list[tuple[int, float, float]]:
    """Per elevator with a saved snapshot: the regular gaps counted and their mean (ms),
    the report interval the detectors learned."""
    rows = conn.execute(_INTERVALS).fetchall()
    return [(int(eid), float(n), float(mean)) for eid, n, mean in rows]
