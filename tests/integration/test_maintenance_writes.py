"""The score job's change-only writes and the set-based overdue alarms on a real database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import psycopg
import pytest

from alarms.repository import raise_alarms, resolve_alarms
from domain.alarms import AlarmType
from fleet.repository import save_fleet
from maintenance.config import ScoreSettings
from maintenance.jobs import read_facts, recompute
from maintenance.plans import score_fleet
from maintenance.policy import to_day
from simulators.fleet import generate_fleet

pytestmark = pytest.mark.integration

AT = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def _fleet(url: str) -> list[int]:
    fleet = generate_fleet(120, 3, AT.date())
    with psycopg.connect(url) as conn:
        save_fleet(conn, fleet)
        conn.commit()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            """INSERT INTO elevator_status (elevator_id, ts, seq, car, dir, floor, door_zone,
                   door, passenger, mode, power, online)
               SELECT id, %s, 1, 0, 0, 1, true, 0, false, 1, 0, true FROM elevators""",
            (AT,),
        )
        # Maintained 3 days ago, except every tenth elevator (40 days ago: overdue).
        conn.execute(
            """INSERT INTO maintenance_records (elevator_id, company_id, level, technician,
                   started_at, ended_at, due_date)
               SELECT id, company_id, 'yearly', 'seed', %s - interval '1 hour', %s, %s::date
               FROM elevators""",
            (AT - timedelta(days=3), AT - timedelta(days=3), AT.date()),
        )
        conn.execute(
            """UPDATE maintenance_records SET started_at = %s, ended_at = %s
               WHERE elevator_id %% 10 = 0""",
            (AT - timedelta(days=400, hours=1), AT - timedelta(days=400)),
        )
    return [e.id for e in fleet.elevators]


def _snapshot(conn: psycopg.Connection[object]) -> dict[str, object]:
    return {
        "scores": conn.execute(
            "SELECT elevator_id, computed_at, total FROM elevator_scores ORDER BY 1"
        ).fetchall(),
        "plans": conn.execute(
            "SELECT elevator_id, level, updated_at, next_due FROM maintenance_plans ORDER BY 1, 2"
        ).fetchall(),
        "xmin": conn.execute("SELECT count(DISTINCT xmin::text) FROM maintenance_plans").fetchone(),
    }


def test_unchanged_rows_are_not_rewritten(fresh_database_url: str) -> None:
    ids = _fleet(fresh_database_url)
    settings = ScoreSettings()
    with psycopg.connect(fresh_database_url, autocommit=True) as conn:
        first = recompute(conn, settings, AT)
        assert first.scores_written == len(ids)
        assert first.plans_changed == 4 * len(ids)
        assert first.work_orders_opened > 0
        assert first.overdue_raised > 0
        before = _snapshot(conn)
        # The same instant again: the work orders and alarms the first run opened do not
        # feed back into the on-time rates (they come from the records): nothing is written.
        again = recompute(conn, settings, AT)
        assert again.scores_written == 0
        assert again.plans_changed == 0
        assert again.work_orders_opened == 0
        assert again.overdue_raised == 0
        assert _snapshot(conn) == before
        # One elevator's registry changes (no insurance): only its rows are rewritten.
        victim = ids[5]
        conn.execute(
            "UPDATE elevators SET insurance_expiry = %s WHERE id = %s",
            (AT.date() - timedelta(days=1), victim),
        )
        later = AT + timedelta(hours=1)
        third = recompute(conn, settings, later)
        assert third.scores_written == 1
        rows = conn.execute(
            "SELECT elevator_id, eligible, reason_key IS NOT NULL, reasons FROM elevator_scores"
            " WHERE computed_at = %s",
            (later,),
        ).fetchall()
        assert [r[0] for r in rows] == [victim]
        assert rows[0][1] is False
        assert rows[0][2]
        assert "no_insurance" in [r["code"] for r in rows[0][3]]
        # Its half-monthly plan moved to the statutory interval; the other levels stayed.
        changed = conn.execute(
            "SELECT elevator_id, level, interval_days FROM maintenance_plans WHERE updated_at = %s",
            (later,),
        ).fetchall()
        assert all(eid == victim and level == "half_monthly" for eid, level, _ in changed)
        assert changed == [] or changed[0][2] == settings.statutory_interval_days


def test_a_fresh_day_rewrites_only_what_changed(fresh_database_url: str) -> None:
    ids = _fleet(fresh_database_url)
    settings = ScoreSettings()
    with psycopg.connect(fresh_database_url, autocommit=True) as conn:
        recompute(conn, settings, AT)
        rates = _company_rates(conn, AT)
        # The next day, with nothing new in the records: the on-time rates hold, so only
        # the weekly refresh seventh of the scores is rewritten, and no plan.
        nxt = AT + timedelta(days=1)
        report = recompute(conn, settings, nxt)
        day = (nxt.date() - date(1970, 1, 1)).days
        assert report.scores_written == sum((i + day) % 7 == 0 for i in ids)
        assert report.plans_changed == 0
        assert _company_rates(conn, nxt) == rates
        # One company's visits recorded (10 days ago and today): only its on-time rate
        # moves, so only its elevators may be rewritten.
        company = conn.execute(
            "SELECT company_id FROM elevators WHERE id = %s", (ids[7],)
        ).fetchone()
        assert company is not None
        for ended in (nxt - timedelta(days=10), nxt - timedelta(hours=2)):
            conn.execute(
                """INSERT INTO maintenance_records (elevator_id, company_id, level, technician,
                       started_at, ended_at)
                   SELECT id, company_id, 'half_monthly', 't', %s, %s
                   FROM elevators WHERE company_id = %s""",
                (ended - timedelta(hours=1), ended, company[0]),
            )
        later = nxt + timedelta(hours=1)
        moved = _company_rates(conn, later)
        assert {c for c in rates if moved[c] != rates[c]} == {company[0]}
        report = recompute(conn, settings, later)
        assert report.scores_written > 0
        rewritten = conn.execute(
            """SELECT DISTINCT e.company_id FROM elevator_scores s
               JOIN elevators e ON e.id = s.elevator_id WHERE s.computed_at = %s""",
            (later,),
        ).fetchall()
        assert rewritten == [(company[0],)]


def _company_rates(conn: psycopg.Connection[Any], at: datetime) -> dict[int, float]:
    """Each company's on-time rate as the score job computes it at ``at`` (-1: unknown)."""
    fs = score_fleet(read_facts(conn, at), ScoreSettings(), to_day(at.date()))
    rate = np.nan_to_num(fs.inputs.on_time_rate, nan=-1.0)
    return {int(c): float(r) for c, r in zip(fs.company_id, rate, strict=True)}


def test_reason_text_change_rewrites_rows_with_that_key(fresh_database_url: str) -> None:
    _fleet(fresh_database_url)
    with psycopg.connect(fresh_database_url, autocommit=True) as conn:
        recompute(conn, ScoreSettings(), AT)
        # A stored reason set that no longer matches what the settings produce.
        key = conn.execute(
            "SELECT reason_key FROM elevator_scores GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"
        ).fetchone()
        assert key is not None
        conn.execute("UPDATE maintenance_reason_sets SET reasons = '[]' WHERE key = %s", (key[0],))
        n = conn.execute(
            "SELECT count(*) FROM elevator_scores WHERE reason_key = %s", (key[0],)
        ).fetchone()
        report = recompute(conn, ScoreSettings(), AT)
        assert n is not None
        assert report.scores_written == n[0]
        stored = conn.execute(
            "SELECT reasons FROM maintenance_reason_sets WHERE key = %s", (key[0],)
        ).fetchone()
        assert stored is not None
        assert stored[0] != []


def test_overdue_alarms_set_based_and_idempotent(fresh_database_url: str) -> None:
    ids = _fleet(fresh_database_url)
    neglected = sorted(i for i in ids if i % 10 == 0)
    with psycopg.connect(fresh_database_url, autocommit=True) as conn:
        conn.execute("LISTEN liftwatch_events")
        first = recompute(conn, ScoreSettings(), AT)
        assert first.overdue_raised == len(neglected) == first.overdue_elevators
        events = [n for n in conn.notifies(timeout=60, stop_after=len(neglected))]
        assert len(events) == len(neglected)
        again = recompute(conn, ScoreSettings(), AT + timedelta(hours=2))
        assert again.overdue_raised == 0
        assert again.overdue_resolved == 0
        active = conn.execute(
            "SELECT elevator_id, occurrences, detail->'levels' FROM alarms"
            " WHERE type = 'maintenance_overdue' AND state = 'open' ORDER BY 1"
        ).fetchall()
        assert [a[0] for a in active] == neglected
        assert all(a[1] == 1 and "yearly" in a[2] for a in active)
        # Maintained now: the next run resolves exactly those alarms.
        conn.execute(
            "UPDATE maintenance_records SET started_at = %s, ended_at = %s",
            (AT + timedelta(hours=2), AT + timedelta(hours=3)),
        )
        third = recompute(conn, ScoreSettings(), AT + timedelta(hours=4))
        assert third.overdue_resolved == len(neglected)
        assert third.overdue_elevators == 0
        left = conn.execute(
            "SELECT count(*) FROM alarms WHERE type = 'maintenance_overdue'"
            " AND state IN ('open', 'acknowledged', 'in_progress')"
        ).fetchone()
        assert left == (0,)


def test_bulk_raise_and_resolve_keep_one_active_alarm(fresh_database_url: str) -> None:
    ids = _fleet(fresh_database_url)[:3]
    with psycopg.connect(fresh_database_url, autocommit=True) as conn:
        first = raise_alarms(conn, AlarmType.MAINTENANCE_OVERDUE, AT, "t", ids, [{"a": 1}] * 3)
        assert [r.created for r in first] == [True] * 3
        second = raise_alarms(conn, AlarmType.MAINTENANCE_OVERDUE, AT, "t", ids[:2])
        assert [r.created for r in second] == [False, False]
        assert {r.id for r in second} <= {r.id for r in first}
        rows = conn.execute(
            "SELECT elevator_id, occurrences FROM alarms WHERE type = 'maintenance_overdue'"
            " ORDER BY 1"
        ).fetchall()
        assert rows == [(ids[0], 2), (ids[1], 2), (ids[2], 1)]
        with pytest.raises(ValueError):
            raise_alarms(conn, AlarmType.MAINTENANCE_OVERDUE, AT, "t", [ids[0], ids[0]])
        resolved = resolve_alarms(conn, AlarmType.MAINTENANCE_OVERDUE, AT, ids)
        assert sorted(e for _, e in resolved) == sorted(ids)
        assert resolve_alarms(conn, AlarmType.MAINTENANCE_OVERDUE, AT, ids) == []
