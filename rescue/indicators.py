"""Rescue indicators a supervisor reads, by district or by maintenance company.

Mean arrival time (report -> on site), mean on-site time (on site -> released), share
of arrivals within 30 minutes, share of cases whose tier chain was decided within the
5-minute deadline. False alarms and cancelled cases are left out. The SQL is fixed
text with bound parameters; :func:`indicator_row` shapes one result row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

GroupBy = Literal["district", "company"]

_GROUP_COLUMN = {"district": "e.district", "company": "e.company_id::text"}

_TEMPLATE = """
SELECT {group} AS grp,
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

QUERIES: dict[str, str] = {k: _TEMPLATE.format(group=v) for k, v in _GROUP_COLUMN.items()}


@dataclass(frozen=True)
class Indicator:
    group: str
    cases: int
    arrived: int
    mean_arrival_min: float | None
    mean_on_site_min: float | None
    share_30min: float | None
    share_decided_5min: float | None
    insurance_flags: int
    fire_service: int


def _round(v: Any, digits: int) -> float | None:
    return None if v is None else round(float(v), digits)


def indicator_row(row: tuple[Any, ...]) -> Indicator:
    return Indicator(
        group=str(row[0]),
        cases=int(row[1]),
        arrived=int(row[2]),
        mean_arrival_min=_round(row[3], 2),
        mean_on_site_min=_round(row[4], 2),
        share_30min=_round(row[5], 4),
        share_decided_5min=_round(row[6], 4),
        insurance_flags=int(row[7]),
        fire_service=int(row[8]),
    )
