"""The hazard indicators' SQL (set-based): open hazards by grade and district, the
remediation of hazards reported in a window by grade, overdue hazards now."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import class_row

from hazards.model import Scope
from hazards.repository import SCOPE_WHERE, scope_params

OPEN_BY = f"""
SELECT h.grade, e.district, count(*)::int AS open,
       count(*) FILTER (WHERE h.state IN ('reported', 'assigned', 'remediating')
                        AND h.due_at < %(now)s)::int AS overdue,
       count(*) FILTER (WHERE h.out_of_service)::int AS out_of_service
FROM hazards h JOIN elevators e ON e.id = h.elevator_id
WHERE h.state <> 'closed' AND h.reported_at <= %(now)s AND {SCOPE_WHERE}
GROUP BY h.grade, e.district ORDER BY h.grade DESC, e.district"""  # noqa: S608 - fixed text

# Hazards reported in [since, until): how many, how many remediated (by ``until``) and on
# time, and the median days from report to remediation of those remediated.
REMEDIATION = f"""
SELECT h.grade, count(*)::int AS reported,
       count(*) FILTER (WHERE h.remediated_at <= %(until)s)::int AS remediated,
       count(*) FILTER (WHERE h.remediated_at <= h.due_at)::int AS on_time,
       count(*) FILTER (WHERE h.remediated_at IS NULL AND h.due_at < %(until)s
                        OR h.remediated_at > h.due_at)::int AS overdue,
       (percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM
            h.remediated_at - h.reported_at) / 86400.0)
        FILTER (WHERE h.remediated_at <= %(until)s))::float8 AS median_days
FROM hazards h JOIN elevators e ON e.id = h.elevator_id
WHERE h.reported_at >= %(since)s AND h.reported_at < %(until)s AND {SCOPE_WHERE}
GROUP BY h.grade ORDER BY h.grade DESC"""  # noqa: S608 - fixed text


class OpenRow:
    def __init__(
        self, grade: str, district: str, open: int, overdue: int, out_of_service: int
    ) -> None:
        self.grade = grade
        self.district = district
        self.open = open
        self.overdue = overdue
        self.out_of_service = out_of_service


class RemediationRow:
    def __init__(
        self,
        grade: str,
        reported: int,
        remediated: int,
        on_time: int,
        overdue: int,
        median_days: float | None,
    ) -> None:
        self.grade = grade
        self.reported = reported
        self.remediated = remediated
        self.on_time = on_time
        self.overdue = overdue
        self.median_days = median_days


def _params(scope: Scope, **extra: Any) -> dict[str, Any]:
    return {**scope_params(scope), **extra}


async def open_by(conn: psycopg.AsyncConnection[Any], scope: Scope, now: datetime) -> list[OpenRow]:
    cur = conn.cursor(row_factory=class_row(OpenRow))
    await cur.execute(OPEN_BY, _params(scope, now=now))
    return await cur.fetchall()


async def remediation(
    conn: psycopg.AsyncConnection[Any], scope: Scope, since: datetime, until: datetime
) -> list[RemediationRow]:
    cur = conn.cursor(row_factory=class_row(RemediationRow))
    await cur.execute(REMEDIATION, _params(scope, since=since, until=until))
    return await cur.fetchall()


def open_by_sync(conn: psycopg.Connection[Any], scope: Scope, now: datetime) -> list[OpenRow]:
    with conn.cursor(row_factory=class_row(OpenRow)) as cur:
        cur.execute(OPEN_BY, _params(scope, now=now))
        return cur.fetchall()


def remediation_sync(
    conn: psycopg.Connection[Any], scope: Scope, since: datetime, until: datetime
) -> list[RemediationRow]:
    with conn.cursor(row_factory=class_row(RemediationRow)) as cur:
        cur.execute(REMEDIATION, _params(scope, since=since, until=until))
        return cur.fetchall()
