"""The API's reads of stored scores, the city distribution and maintenance plans."""

from __future__ import annotations

from datetime import date
from typing import Any

import psycopg
from psycopg.rows import class_row, scalar_row

from maintenance.model import DistributionCell, ElevatorScore, Plan, ScoreSummary
from maintenance.policy import LEVELS


async def fetch_elevator_company(
    conn: psycopg.AsyncConnection[Any], elevator_id: int
) -> int | None:
    cur = conn.cursor(row_factory=scalar_row)
    await cur.execute("SELECT company_id FROM elevators WHERE id = %s", (elevator_id,))
    company_id = await cur.fetchone()
    return None if company_id is None else int(company_id)


async def fetch_score(conn: psycopg.AsyncConnection[Any], elevator_id: int) -> ElevatorScore | None:
    cur = conn.cursor(row_factory=class_row(ElevatorScore))
    await cur.execute(
        """SELECT s.elevator_id, e.code, e.company_id, e.district, s.computed_at, s.total,
                  s.grade, s.baseline, s.factors, s.contributions, s.eligible,
                  s.interval_days, s.reasons
           FROM elevator_scores s JOIN elevators e ON e.id = s.elevator_id
           WHERE s.elevator_id = %s""",
        (elevator_id,),
    )
    return await cur.fetchone()


async def count_company_scores(
    conn: psycopg.AsyncConnection[Any], company_id: int, grade: str | None
) -> int:
    cur = conn.cursor(row_factory=scalar_row)
    await cur.execute(
        """SELECT count(*) FROM elevator_scores s JOIN elevators e ON e.id = s.elevator_id
           WHERE e.company_id = %(c)s AND (%(g)s::text IS NULL OR s.grade = %(g)s)""",
        {"c": company_id, "g": grade},
    )
    total = await cur.fetchone()
    return 0 if total is None else int(total)


async def fetch_company_scores(
    conn: psycopg.AsyncConnection[Any],
    company_id: int,
    grade: str | None,
    limit: int,
    offset: int,
) -> list[ScoreSummary]:
    """A page of the company's scores (of one grade when given), lowest total first."""
    cur = conn.cursor(row_factory=class_row(ScoreSummary))
    await cur.execute(
        """SELECT s.elevator_id, e.code, e.district, s.total, s.grade, s.eligible,
                  s.interval_days, s.computed_at
           FROM elevator_scores s JOIN elevators e ON e.id = s.elevator_id
           WHERE e.company_id = %(c)s AND (%(g)s::text IS NULL OR s.grade = %(g)s)
           ORDER BY s.total, s.elevator_id LIMIT %(l)s OFFSET %(o)s""",
        {"c": company_id, "g": grade, "l": limit, "o": offset},
    )
    return await cur.fetchall()


async def fetch_distribution(
    conn: psycopg.AsyncConnection[Any], company_id: int | None
) -> list[DistributionCell]:
    """Elevator counts by district and grade (restricted to one company when given)."""
    cur = conn.cursor(row_factory=class_row(DistributionCell))
    await cur.execute(
        """SELECT e.district, s.grade, count(*) AS elevators, avg(s.total)::float8 AS mean_total,
                  count(*) FILTER (WHERE s.eligible) AS eligible
           FROM elevator_scores s JOIN elevators e ON e.id = s.elevator_id
           WHERE %(c)s::int IS NULL OR e.company_id = %(c)s
           GROUP BY e.district, s.grade ORDER BY e.district, s.grade""",
        {"c": company_id},
    )
    return await cur.fetchall()


async def fetch_plans(
    conn: psycopg.AsyncConnection[Any], elevator_id: int, today: date
) -> list[Plan]:
    """The elevator's plans by item level; overdue: due before ``today``."""
    cur = conn.cursor(row_factory=class_row(Plan))
    await cur.execute(
        """SELECT level, interval_days, last_done, next_due, next_due < %s AS overdue,
                  reasons, updated_at
           FROM maintenance_plans WHERE elevator_id = %s
           ORDER BY array_position(%s::text[], level)""",
        (today, elevator_id, list(LEVELS)),
    )
    return await cur.fetchall()
