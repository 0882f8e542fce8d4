"""Counts behind the supervisor indicators, by district or by maintenance company: elevators
in use, faults, entrapments, insured elevators, maintenance records (on time) and overdue
elevators over the last N days."""

from __future__ import annotations

from datetime import date
from typing import Any

import psycopg
from psycopg.rows import class_row, scalar_row

from domain.localtime import CITY_TZ_NAME
from fleet.map_repository import NOT_FAULTS
from maintenance.model import GroupBy, IndicatorCounts

# The group key and name of each grouping (an expression over e and c).
_KEYS = {
    GroupBy.DISTRICT: ("e.district", "e.district"),
    GroupBy.COMPANY: ("e.company_id::text", "c.name"),
}

_OVERDUE_FROM_PLANS = (
    "SELECT DISTINCT elevator_id FROM maintenance_plans WHERE next_due < %(today)s",
    "count(o.elevator_id)",
)
_NO_PLANS = ("SELECT NULL::integer AS elevator_id WHERE false", "NULL::bigint")

_COUNTS = """
WITH e AS (
    SELECT id, district, company_id, insurance_expiry FROM elevators e
    WHERE in_service AND (%(scope)s::integer IS NULL OR company_id = %(scope)s)),
f AS (
    SELECT elevator_id,
           count(*) FILTER (WHERE NOT (type = ANY(%(not_faults)s))) AS faults,
           count(*) FILTER (WHERE type = 'entrapment') AS entrapments
    FROM alarms WHERE opened_at >= now() - make_interval(days => %(days)s)
    GROUP BY elevator_id),
m AS (
    SELECT elevator_id, count(*) AS records,
           count(*) FILTER (WHERE due_date IS NOT NULL) AS with_due,
           count(*) FILTER (WHERE due_date IS NOT NULL
                            AND (ended_at AT TIME ZONE %(tz)s)::date <= due_date
                            AND (recorded_at IS NULL
                                 OR (recorded_at AT TIME ZONE %(tz)s)::date <= due_date)
                           ) AS on_time
    FROM maintenance_records
    WHERE ended_at >= now() - make_interval(days => %(days)s)
    GROUP BY elevator_id),
o AS ({overdue_elevators})
SELECT {key}::text AS key, {name}::text AS name, count(*) AS elevators,
       COALESCE(sum(f.faults), 0)::bigint AS faults,
       COALESCE(sum(f.entrapments), 0)::bigint AS entrapments,
       count(*) FILTER (WHERE e.insurance_expiry >= %(today)s) AS insured,
       COALESCE(sum(m.records), 0)::bigint AS records,
       COALESCE(sum(m.with_due), 0)::bigint AS with_due,
       COALESCE(sum(m.on_time), 0)::bigint AS on_time, {overdue_count} AS overdue
FROM e JOIN maintenance_companies c ON c.id = e.company_id
LEFT JOIN f ON f.elevator_id = e.id
LEFT JOIN m ON m.elevator_id = e.id
LEFT JOIN o ON o.elevator_id = e.id
{group}"""


async def _has_plans(conn: psycopg.AsyncConnection[Any]) -> bool:
    cur = conn.cursor(row_factory=scalar_row)
    await cur.execute("SELECT to_regclass('maintenance_plans') IS NOT NULL")
    return bool(await cur.fetchone())


async def fetch_indicator_counts(
    conn: psycopg.AsyncConnection[Any],
    group_by: GroupBy,
    scope: int | None,
    days: int,
    today: date,
    limit: int,
    offset: int,
) -> tuple[list[IndicatorCounts], IndicatorCounts | None]:
    """A page of the groups' counts (ordered by key) and the counts of all groups, over
    the elevators of company ``scope`` (None: all) and the last ``days`` days."""
    overdue_elevators, overdue_count = _OVERDUE_FROM_PLANS if await _has_plans(conn) else _NO_PLANS
    key, name = _KEYS[group_by]

    def statement(key: str, name: str, group: str) -> str:
        return _COUNTS.format(
            overdue_elevators=overdue_elevators,
            overdue_count=overdue_count,
            key=key,
            name=name,
            group=group,
        )  # composed of the constants above only

    params = {
        "scope": scope,
        "not_faults": list(NOT_FAULTS),
        "days": days,
        "limit": limit,
        "offset": offset,
        "today": today,
        "tz": CITY_TZ_NAME,
    }
    group = f"GROUP BY {key} ORDER BY {key} LIMIT %(limit)s OFFSET %(offset)s"
    cur = conn.cursor(row_factory=class_row(IndicatorCounts))
    await cur.execute(statement(key, f"min({name})", group), params)
    groups = await cur.fetchall()
    await cur.execute(statement("'all'", "'all'", ""), params)
    return groups, await cur.fetchone()
