"""Housekeeping of the telemetry store that works on both backends."""

from __future__ import annotations

import psycopg

from storage.migrate import Backend, recorded_backend


def ensure_partitions(conn: psycopg.Connection, days_back: int = 7, days_ahead: int = 2) -> int:
    """Create the daily partitions covering [today - days_back, today + days_ahead].

    A no-op on TimescaleDB, where chunks are created on demand. Serialised by a
    transaction-level advisory lock, so several ingest processes (the cluster's storers)
    starting at once do not race to create the same partition.
    """
    conn.execute("SELECT pg_advisory_xact_lock(hashtext('liftwatch_ensure_telemetry_partitions'))")
    row = conn.execute(
        "SELECT liftwatch_ensure_telemetry_partitions("
        " (now() AT TIME ZONE 'UTC')::date - %s::int, (now() AT TIME ZONE 'UTC')::date + %s::int)",
        (days_back, days_ahead),
    ).fetchone()
    return int(row[0]) if row else 0


def apply_retention(conn: psycopg.Connection, keep_days: int) -> int:
    """Drop telemetry older than ``keep_days`` (whole partitions or chunks)."""
    row = conn.execute(
        "SELECT liftwatch_drop_telemetry_partitions(make_interval(days => %s))", (keep_days,)
    ).fetchone()
    return int(row[0]) if row else 0


def refresh_daily(conn: psycopg.Connection) -> None:
    """Bring ``telemetry_daily`` up to date. Needs an autocommit connection."""
    backend = recorded_backend(conn)
    if backend is Backend.TIMESCALE:
        conn.execute("CALL refresh_continuous_aggregate('telemetry_daily', NULL, NULL)")
        return
    populated = conn.execute(
        "SELECT ispopulated FROM pg_matviews WHERE matviewname = 'telemetry_daily'"
    ).fetchone()
    if populated and populated[0]:
        conn.execute("REFRESH MATERIALIZED VIEW CONCURRENTLY telemetry_daily")
    else:
        conn.execute("REFRESH MATERIALIZED VIEW telemetry_daily")
