"""Rescue indicators a supervisor reads, by district or by maintenance company.

Mean arrival time (report -> on site), mean on-site time (on site -> released), share
of arrivals within 30 minutes, share of cases whose tier chain was decided within the
5-minute deadline. False alarms and cancelled cases are left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import psycopg
from psycopg.rows import class_row

from rescue.model import GroupBy, Indicator

_GROUP_COLUMN = {"district": "e.district", "company": "e.company_id::text"}

_TEMPLATE = """
SELECT {group} AS group_name,
       count(*) AS cases,
       count(c.arrived_at) AS arrived,
       avg(extract(epoch FROM c.arrived_at - c.reported_at)) / 60 AS mean_arrival_min,
       avg(extract(epoch FROM c.released_at - c.arrived_at)) / 60 AS mean_on_site_min,
       avg(CASE WHEN c.arrived_at IS NULL THEN NULL
                WHEN c.arrived_at - c.reported_at <= make_interval(mins => %(arrive_min)s)
                THEN 1.0 ELSE 0.0 END) AS share_30min,
       avg(CASE WHEN c.decided_at IS NOT NULL
                 AND c.decided_at - c.reported_at <= make_interval(secs => %(deadline_s)s)
                THEN 1.0 ELSE 0.0 END) AS share_decided_5min,
       count(*) FILTER (WHERE c.insurance_flag) AS insurance_flags,
       count(*) FILTER (WHERE c.fire_service) AS fire_service
FROM rescue_cases c JOIN elevators e ON e.id = c.elevator_id
WHERE c.state NOT IN ('false_alarm', 'cancelled')
  AND (%(since)s::timestamptz IS NULL OR c.reported_at >= %(since)s)
  AND (%(until)s::timestamptz IS NULL OR c.reported_at < %(until)s)
  AND (%(company)s::integer IS NULL OR e.company_id = %(company)s)
GROUP BY 1 ORDER BY 1
"""

_QUERIES: dict[str, str] = {
    by: _TEMPLATE.format(group=column) for by, column in _GROUP_COLUMN.items()
}


@dataclass(frozen=True)
class _IndicatorRow:
    group_name: Any
    cases: int
    arrived: int
    mean_arrival_min: Decimal | float | None
    mean_on_site_min: Decimal | float | None
    share_30min: Decimal | float | None
    share_decided_5min: Decimal | float | None
    insurance_flags: int
    fire_service: int


def _round(value: Decimal | float | None, digits: int) -> float | None:
    return None if value is None else round(float(value), digits)


def _indicator(row: _IndicatorRow) -> Indicator:
    return Indicator(
        group=str(row.group_name),
        cases=int(row.cases),
        arrived=int(row.arrived),
        mean_arrival_min=_round(row.mean_arrival_min, 2),
        mean_on_site_min=_round(row.mean_on_site_min, 2),
        share_30min=_round(row.share_30min, 4),
        share_decided_5min=_round(row.share_decided_5min, 4),
        insurance_flags=int(row.insurance_flags),
        fire_service=int(row.fire_service),
    )


async def indicators(
    conn: psycopg.AsyncConnection[Any],
    by: GroupBy,
    *,
    since: datetime | None,
    until: datetime | None,
    company_id: int | None,
    arrive_min: int,
    deadline_s: float,
) -> list[Indicator]:
    """One row per district or company; ``company_id`` limits to one company."""
    async with conn.cursor(row_factory=class_row(_IndicatorRow)) as cur:
        await cur.execute(
            _QUERIES[by],
            {
                "since": since,
                "until": until,
                "company": company_id,
                "arrive_min": arrive_min,
                "deadline_s": deadline_s,
            },
        )
        return [_indicator(row) for row in await cur.fetchall()]
