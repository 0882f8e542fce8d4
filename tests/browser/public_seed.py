"""The public pages' part of the test fleet: companies' duty phones, the demo safety
officers, a maintenance record and plan, and a public code for every elevator."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg

from public.code_service import fill_demo_officers, issue_codes


def seed_public(url: str) -> dict[int, str]:
    """Issue codes (and the other public facts); returns elevator id -> current code."""
    now = datetime.now(UTC)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("UPDATE maintenance_companies SET duty_phone = '020-8000000' || id")
        conn.execute(
            "UPDATE elevators SET inspection_valid_until = current_date + 200,"
            " address = district || '示例路 ' || id || ' 号' WHERE address = ''"
        )
        conn.execute(
            "INSERT INTO maintenance_records (elevator_id, company_id, level, technician,"
            " started_at, ended_at) SELECT id, company_id, 'half_monthly', 'T', %s, %s"
            " FROM elevators",
            (now - timedelta(days=3, hours=1), now - timedelta(days=3)),
        )
        conn.execute(
            "INSERT INTO maintenance_plans (elevator_id, level, interval_days, next_due)"
            " SELECT id, 'half_monthly', 15, current_date + 12 FROM elevators"
        )
        issue_codes(conn, None, rotate=False)
        fill_demo_officers(conn)
        rows = conn.execute(
            "SELECT elevator_id, code FROM public_codes WHERE retired_at IS NULL"
        ).fetchall()
    return {int(r[0]): str(r[1]) for r in rows}
