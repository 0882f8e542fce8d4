"""`liftwatch db maintain` deletes expired dead letters, finished webhook deliveries,
terminal events and rescuer actions (real PostgreSQL), and keeps recent ones and pending
deliveries."""

from __future__ import annotations

import psycopg
import pytest
from typer.testing import CliRunner

from liftwatch.cli import app
from storage.config import RetentionSettings
from storage.housekeeping import apply_record_retention
from tests.browser.seed import seed_fleet

pytestmark = pytest.mark.integration


def _seed_records(url: str) -> None:
    with psycopg.connect(url) as conn:
        elevator = conn.execute("SELECT id FROM elevators ORDER BY id LIMIT 1").fetchone()
        company = conn.execute(
            "SELECT id FROM maintenance_companies ORDER BY id LIMIT 1"
        ).fetchone()
        assert elevator
        assert company
        for age in (1, 29, 31, 400):
            conn.execute(
                "INSERT INTO dead_letters (received_at, topic, reason, payload, payload_size)"
                " VALUES (now() - make_interval(days => %s), 't', 'bad_json', 'x', 1)",
                (age,),
            )
            conn.execute(
                "INSERT INTO terminal_events (ts, elevator_id, seq, code, active)"
                " VALUES (now() - make_interval(days => %s), %s, %s, 11, true)",
                (age, elevator[0], age),
            )
        sub = conn.execute(
            "INSERT INTO webhook_subscriptions (company_id, url, secret)"
            " VALUES (%s, 'https://example.com/hook', 'sixteen-chars-secret') RETURNING id",
            (company[0],),
        ).fetchone()
        assert sub
        rescuer = conn.execute(
            "INSERT INTO rescuers (id, name, company_id, home_lon, home_lat, lon, lat,"
            " shift_start, shift_end) VALUES (990001, '测试救援员', %s, 113.3, 23.1, 113.3, 23.1,"
            " '00:00', '23:59') RETURNING id",
            (company[0],),
        ).fetchone()
        assert rescuer
        for age in (1, 29, 31, 400):
            conn.execute(
                "INSERT INTO rescuer_actions (rescuer_id, action_id, case_id, kind, received_at)"
                " VALUES (%s, %s, 1, 'accept', now() - make_interval(days => %s))",
                (rescuer[0], f"action-{age:04d}", age),
            )
        for age, status in ((1, "delivered"), (31, "delivered"), (31, "failed"), (90, "pending")):
            conn.execute(
                "INSERT INTO webhook_deliveries (subscription_id, event, body, created_at, status)"
                " VALUES (%s, 'case.created', '{}', now() - make_interval(days => %s), %s)",
                (sub[0], age, status),
            )


def _ages(url: str, sql: str) -> list[int]:
    with psycopg.connect(url) as conn:
        return [int(r[0]) for r in conn.execute(sql).fetchall()]


DEAD = "SELECT extract(day FROM now() - received_at)::int FROM dead_letters ORDER BY 1"
EVENTS = "SELECT extract(day FROM now() - ts)::int FROM terminal_events ORDER BY 1"
ACTIONS = "SELECT extract(day FROM now() - received_at)::int FROM rescuer_actions ORDER BY 1"
DELIVERIES = "SELECT extract(day FROM now() - created_at)::int FROM webhook_deliveries ORDER BY 1"


def test_db_maintain_applies_the_default_30_day_retention(
    fresh_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_fleet(fresh_database_url, per_district=1)
    _seed_records(fresh_database_url)
    monkeypatch.setenv("LIFTWATCH_DATABASE_URL", fresh_database_url)
    result = CliRunner().invoke(app, ["db", "maintain"])
    assert result.exit_code == 0, result.output
    assert _ages(fresh_database_url, DEAD) == [1, 29]
    assert _ages(fresh_database_url, EVENTS) == [1, 29]
    assert _ages(fresh_database_url, ACTIONS) == [1, 29]
    # The recent delivery and the old pending one (still work to do) remain.
    assert _ages(fresh_database_url, DELIVERIES) == [1, 90]
    # A second run has nothing left to delete.
    again = CliRunner().invoke(app, ["db", "maintain"])
    assert again.exit_code == 0, again.output
    assert "deleted 0 dead letters, 0 webhook deliveries, 0 terminal events, 0 rescuer" in " ".join(
        again.output.split()
    )


def test_retention_is_configurable_and_deletes_in_batches(fresh_database_url: str) -> None:
    seed_fleet(fresh_database_url, per_district=1)
    with psycopg.connect(fresh_database_url) as conn:
        conn.execute(
            "INSERT INTO dead_letters (received_at, topic, reason, payload, payload_size)"
            " SELECT now() - make_interval(days => 3), 't', 'bad_json', 'x', 1"
            " FROM generate_series(1, 250)"
        )
    settings = RetentionSettings(dead_letter_days=2, batch_rows=100)
    with psycopg.connect(fresh_database_url, autocommit=True) as conn:
        report = apply_record_retention(conn, settings)
    assert report.dead_letters == 250
    assert _ages(fresh_database_url, DEAD) == []
