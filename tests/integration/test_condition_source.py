"""The condition job's daily data when the daily aggregate lags behind the telemetry.

A TimescaleDB continuous aggregate is created ``WITH NO DATA`` and materializes behind
real time; the plain materialized view is refreshed once a day. Either way the days it
does not have yet come from the telemetry itself, not nowhere (which gave every elevator
a perfect condition index)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from psycopg.types.json import Jsonb

from ingest.seed import seed_elevators
from maintenance.condition_repository import load_daily_channels
from storage.telemetry_admin import ensure_partitions, refresh_daily

pytestmark = pytest.mark.integration


def _status(conn: psycopg.Connection, elevator_id: int, ts: datetime, vibration: float) -> None:
    conn.execute(
        """INSERT INTO telemetry (ts, elevator_id, seq, received_at, car, dir, floor,
               door_zone, door, passenger, mode, power, speed, load, leveling_mm,
               run_hours, runs, door_cycles, analog)
           VALUES (%s, %s, 1, %s, 0, 0, 1, true, 0, false, 1, 0, 0, 0, 0, 0, 0, 0, %s)""",
        (ts, elevator_id, ts, Jsonb({"vibration": vibration})),
    )


def test_days_missing_from_the_aggregate_come_from_telemetry(fresh_database_url: str) -> None:
    now = datetime.now(UTC)
    with psycopg.connect(fresh_database_url, autocommit=True) as conn:
        seed_elevators(conn, 1)
        elevator_id = conn.execute("SELECT id FROM elevators").fetchone()[0]  # type: ignore[index]
        ensure_partitions(conn, days_back=3)
        _status(conn, elevator_id, now - timedelta(days=2), 0.5)
        refresh_daily(conn)  # the aggregate has two days ago ...
        _status(conn, elevator_id, now - timedelta(minutes=5), 0.9)  # ... not today
        daily = load_daily_channels(conn, now.date())
    vibration = daily.channels["vibration"][0]
    assert vibration[-1] == pytest.approx(0.9)  # today, from telemetry
    assert vibration[-3] == pytest.approx(0.5)  # from the aggregate
