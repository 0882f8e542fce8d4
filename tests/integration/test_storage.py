"""Migrations, telemetry partitioning/retention and daily statistics on real PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from liftwatch.embedded import EmbeddedPostgres
from storage.errors import MigrationError
from storage.migrate import Backend, Migration, discover, migrate, timescale_usable
from storage.scratch import url_on
from storage.telemetry_admin import apply_retention, ensure_partitions, refresh_daily

pytestmark = pytest.mark.integration

SCHEMA_SNAPSHOT = """
SELECT 'rel:' || c.relname || ':' || c.relkind::text FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'
UNION ALL
SELECT 'col:' || table_name || '.' || column_name || ':' || data_type
  FROM information_schema.columns WHERE table_schema = 'public'
UNION ALL
SELECT 'fn:' || p.proname FROM pg_proc p
  JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'
UNION ALL
SELECT 'mig:' || version || ':' || checksum || ':' || applied_at FROM schema_migrations
ORDER BY 1
"""


def _snapshot(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        return [r[0] for r in conn.execute(SCHEMA_SNAPSHOT).fetchall()]


def _check_idempotent(server_url: str) -> None:
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute('DROP DATABASE IF EXISTS "lw_idem" WITH (FORCE)')
        conn.execute('CREATE DATABASE "lw_idem"')
    url = url_on(server_url, "lw_idem")
    try:
        first = migrate(url)
        assert first.applied
        assert first.already == 0
        before = _snapshot(url)
        second = migrate(url)
        assert second.applied == []
        assert second.already == len(first.applied)
        assert _snapshot(url) == before
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute('DROP DATABASE IF EXISTS "lw_idem" WITH (FORCE)')


def test_migrate_twice_changes_nothing(pg_server_url: str) -> None:
    _check_idempotent(pg_server_url)


def test_migrate_twice_changes_nothing_on_embedded_pg18(tmp_path: Path) -> None:
    pg = EmbeddedPostgres(tmp_path)
    url = pg.start()
    try:
        with psycopg.connect(url) as conn:
            assert conn.info.server_version >= 180000
        _check_idempotent(url)
    finally:
        pg.stop()


def test_changed_migration_is_refused(fresh_database_url: str) -> None:
    with psycopg.connect(fresh_database_url, autocommit=True) as conn:
        conn.execute("UPDATE schema_migrations SET checksum = 'tampered' WHERE version = 1")
    with pytest.raises(MigrationError, match="changed after it was applied"):
        migrate(fresh_database_url)


def _insert_sample(
    conn: psycopg.Connection, elevator: int, ts: str, seq: int, runs: int, speed: float = 1.0
) -> None:
    conn.execute(
        "INSERT INTO telemetry (ts, elevator_id, seq, received_at, car, dir, floor, door_zone,"
        " door, passenger, mode, power, speed, load, leveling_mm, run_hours, runs, door_cycles,"
        " analog) VALUES (%s::timestamptz, %s, %s, now(), 1, 1, 3, true, 0, false, 1, 0, %s, 0,"
        " 2, 10, %s, %s, '{\"vibration\": 0.5}')",
        (ts, elevator, seq, speed, runs, runs * 2),
    )


def test_partitions_retention_and_daily_statistics(fresh_database_url: str) -> None:
    with psycopg.connect(fresh_database_url, autocommit=True) as conn:
        backend = conn.execute("SELECT variant FROM schema_migrations WHERE version = 2").fetchone()
        assert backend is not None
        if backend[0] == Backend.PLAIN:
            # Partitions exist for the accepted window; more are created on demand.
            assert ensure_partitions(conn, days_back=30, days_ahead=3) > 0
            assert ensure_partitions(conn, days_back=30, days_ahead=3) == 0
            far = conn.execute("SELECT (now() + interval '400 days')::text").fetchone()
            assert far is not None
            with pytest.raises(psycopg.errors.CheckViolation):  # no partition that far ahead
                _insert_sample(conn, 1, far[0], 1, 1)
        else:
            ensure_partitions(conn, days_back=30, days_ahead=3)
        today = "date_trunc('day', now(), 'UTC') + interval '1 hour'"
        old = "date_trunc('day', now(), 'UTC') - interval '20 days' + interval '1 hour'"
        for seq, runs in ((1, 100), (2, 105), (3, 112)):
            ts = conn.execute(
                f"SELECT ({today} + make_interval(mins => %s))::text", (seq,)
            ).fetchone()
            assert ts is not None
            _insert_sample(conn, 7, ts[0], seq, runs, speed=1.0 + seq / 10)
        old_ts = conn.execute(f"SELECT ({old})::text").fetchone()
        assert old_ts is not None
        _insert_sample(conn, 7, old_ts[0], 0, 50)
        # Idempotency key: the same (elevator, ts, seq) cannot be stored twice.
        with pytest.raises(psycopg.errors.UniqueViolation):
            _insert_sample(conn, 7, old_ts[0], 0, 50)

        refresh_daily(conn)
        rows = conn.execute(
            "SELECT samples, runs, door_cycles, round(max_speed::numeric, 1) FROM telemetry_daily"
            " WHERE elevator_id = 7 ORDER BY day"
        ).fetchall()
        assert [tuple(map(float, r)) for r in rows] == [(1, 0, 0, 1.0), (3, 12, 24, 1.3)]

        assert apply_retention(conn, keep_days=10) >= 1
        left = conn.execute("SELECT count(*) FROM telemetry WHERE elevator_id = 7").fetchone()
        assert left == (3,)
        refresh_daily(conn)
        days = conn.execute("SELECT count(*) FROM telemetry_daily WHERE elevator_id = 7").fetchone()
        assert days == (1,)


def test_case_timeline_is_append_only(fresh_database_url: str) -> None:
    with psycopg.connect(fresh_database_url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO maintenance_companies (id, name, tech_level, credit_grade,"
            " credit_score) VALUES (1, 'c', 3, 'A', 90)"
        )
        conn.execute(
            "INSERT INTO elevators (id, code, terminal_id, lon, lat, district,"
            " building_type, install_date, rated_speed, floors, company_id) VALUES"
            " (1, 'E1', 'T1', 113.3, 23.1, 'Tianhe', 'office', '2010-01-01', 1.75, 20, 1)"
        )
        case = conn.execute(
            "INSERT INTO rescue_cases (elevator_id, source, trapped_since)"
            " VALUES (1, 'hotline', now()) RETURNING id"
        ).fetchone()
        assert case is not None
        conn.execute(
            "INSERT INTO case_events (case_id, step, actor) VALUES (%s, 'reported', 'desk:alice')",
            (case[0],),
        )
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("UPDATE case_events SET actor = 'mallory'")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("DELETE FROM case_events")
        # Two open cases for one elevator are refused by the database itself.
        with pytest.raises(psycopg.errors.UniqueViolation):
            conn.execute(
                "INSERT INTO rescue_cases (elevator_id, source, trapped_since)"
                " VALUES (1, 'entrapment', now())"
            )


def test_timescale_path(make_database: Callable[[], str], pg_server_url: str) -> None:
    with psycopg.connect(pg_server_url) as conn:
        available = timescale_usable(conn)
    if not available:
        pytest.skip(
            "the timescaledb extension is not installed (or not preloaded) on this PostgreSQL "
            "(not packaged in Debian or PyPI); the plain path is tested instead"
        )
    url = make_database()
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute("SELECT variant FROM schema_migrations WHERE version = 2").fetchone()
        assert row == ("timescale",)
        ht = conn.execute(
            "SELECT count(*) FROM timescaledb_information.hypertables"
            " WHERE hypertable_name = 'telemetry'"
        ).fetchone()
        assert ht == (1,)
        jobs = conn.execute(
            "SELECT proc_name FROM timescaledb_information.jobs"
            " WHERE hypertable_name IN ('telemetry', 'telemetry_daily')"
            " ORDER BY 1"
        ).fetchall()
        names = {j[0] for j in jobs}
        assert {"policy_compression", "policy_retention"} <= names


def test_a_failed_migration_reports_its_own_error(
    fresh_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A migration that loses its session (as CREATE EXTENSION timescaledb does when the
    library is not preloaded) fails with its error, not with "the connection is closed"."""
    killer = Migration(9999, "loses_session", "", "SELECT pg_terminate_backend(pg_backend_pid())")
    monkeypatch.setattr("storage.migrate.discover", lambda: [*discover(), killer])
    with pytest.raises(MigrationError, match="9999_loses_session failed: terminating connection"):
        migrate(fresh_database_url)
