"""Maintenance days are the city's local dates (UTC+8): a visit finished at 07:30 in
Guangzhou on 5 March was done on 5 March although it was 4 March in UTC, and the score job
that runs at 02:30 local time plans for the local day."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import psycopg
import pytest

from fleet.repository import save_fleet
from maintenance.config import ScoreSettings
from maintenance.jobs import recompute
from maintenance.model import Completion
from maintenance.service import complete_work_order
from simulators.fleet import generate_fleet

pytestmark = pytest.mark.integration

VISIT_END = datetime(2026, 3, 4, 23, 30, tzinfo=UTC)  # 2026-03-05 07:30 local
RUN = datetime(2026, 3, 5, 18, 30, tzinfo=UTC)  # 2026-03-06 02:30 local


def test_local_dates_for_records_plans_and_work_orders(fresh_database_url: str) -> None:
    fleet = generate_fleet(12, 3, date(2026, 3, 1))
    with psycopg.connect(fresh_database_url, autocommit=True) as conn:
        save_fleet(conn, fleet)
        conn.execute(
            """INSERT INTO maintenance_records (elevator_id, company_id, level, technician,
                   started_at, ended_at)
               SELECT id, company_id, 'half_monthly', 'seed', %s, %s FROM elevators""",
            (VISIT_END - timedelta(hours=1), VISIT_END),
        )
        recompute(conn, ScoreSettings(), RUN)
        rows = conn.execute(
            "SELECT DISTINCT last_done, next_due - interval_days FROM maintenance_plans"
            " WHERE level = 'half_monthly'"
        ).fetchall()
        assert rows == [(date(2026, 3, 5), date(2026, 3, 5))]
        # Never-done levels are due on the run's local day (6 March), not the UTC one.
        due = conn.execute(
            "SELECT DISTINCT next_due FROM maintenance_plans WHERE last_done IS NULL"
        ).fetchall()
        assert due == [(date(2026, 3, 6),)]
        order = conn.execute(
            "SELECT id, company_id FROM work_orders WHERE level = 'yearly' ORDER BY id LIMIT 1"
        ).fetchone()
        assert order is not None
        # Finished at 01:00 local on 6 March (17:00 UTC on 5 March).
        ended = datetime(2026, 3, 5, 17, 0, tzinfo=UTC)
        conn.execute(  # issued by the job's run of the day before (simulated time)
            "UPDATE work_orders SET created_at = %s WHERE id = %s",
            (ended - timedelta(days=1), order[0]),
        )
        completion = Completion(
            technician="Li Wei", started_at=ended - timedelta(hours=2), ended_at=ended,
            items=["A1"], findings="",
        )  # fmt: skip
        asyncio.run(_complete(fresh_database_url, order[0], order[1], completion))
        done = conn.execute(
            """SELECT DISTINCT p.last_done FROM maintenance_plans p
               JOIN work_orders w ON w.elevator_id = p.elevator_id WHERE w.id = %s""",
            (order[0],),
        ).fetchall()
        assert done == [(date(2026, 3, 6),)]


async def _complete(url: str, work_order_id: int, company_id: int, body: Completion) -> None:
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        await complete_work_order(conn, work_order_id, body, scope=company_id, now=RUN)
