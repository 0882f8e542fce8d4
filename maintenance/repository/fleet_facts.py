"""Set-based reads of the score inputs of the whole fleet, as column tables
(:mod:`.columns`): the elevators with their company, user unit, status and condition;
alarm counts; the maintenance history; the companies' rescue arrival times.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import psycopg
from numpy.typing import NDArray

from domain.localtime import CITY_TZ_NAME, city_date
from domain.table import Table
from maintenance.repository.columns import (
    LEVEL_NAMES,
    NO_DAY,
    Columns,
    copy_out,
    numpy_schema,
    table_exists,
)

ELEVATOR_COLUMNS: Columns = [
    ("elevator_id", "int4"),
    ("company_id", "int4"),
    ("user_unit_id", "int4"),
    ("age_years", "float8"),
    ("building_type", "int4"),
    ("insurance_valid", "bool"),
    ("inspection_valid", "bool"),
    ("in_service", "bool"),
    ("tech_level", "float8"),
    ("certified_staff", "int4"),
    ("licensed", "bool"),
    ("credit_grade", "int4"),
    ("credit_score", "float8"),
    ("paperless", "bool"),
    ("management_level", "float8"),
    ("safety_manager", "bool"),
    ("complaints", "float8"),
    ("has_status", "bool"),
    ("online", "bool"),
    ("condition_index", "float8"),
    ("anomalies_30d", "float8"),
    ("anomalies_90d", "float8"),
]

_ELEVATORS = """
SELECT e.id, e.company_id, COALESCE(e.user_unit_id, -1),
       (%(as_of_date)s::date - e.install_date)::float8 / 365.25,
       COALESCE(array_position(%(building_types)s::text[], e.building_type) - 1, -1),
       COALESCE(e.insurance_expiry >= %(as_of_date)s::date, false),
       COALESCE(e.inspection_valid_until >= %(as_of_date)s::date, false),
       e.in_service,
       c.tech_level::float8, c.certified_staff, c.licensed,
       array_position(ARRAY['A', 'B', 'C'], c.credit_grade::text) - 1,
       c.credit_score::float8, c.paperless,
       COALESCE(u.management_level::float8, 'NaN'), COALESCE(u.safety_manager, false),
       COALESCE(u.complaints, 0)::float8,
       s.elevator_id IS NOT NULL, COALESCE(s.online, false),
       {condition}
FROM elevators e
JOIN maintenance_companies c ON c.id = e.company_id
LEFT JOIN user_units u ON u.id = e.user_unit_id
LEFT JOIN elevator_status s ON s.elevator_id = e.id
{condition_join}
"""
_WITH_CONDITION = (
    "COALESCE(ec.condition_index::float8, 'NaN'), COALESCE(ec.anomalies_30d::float8, 'NaN'),"
    " COALESCE(ec.anomalies_90d::float8, 'NaN')",
    "LEFT JOIN elevator_condition ec ON ec.elevator_id = e.id",
)
_WITHOUT_CONDITION = ("'NaN'::float8, 'NaN'::float8, 'NaN'::float8", "")


def read_elevators(
    conn: psycopg.Connection[Any], as_of: datetime, building_types: Sequence[str]
) -> Table:
    """One row per elevator, ordered by id; the condition index when analytics has one."""
    condition, join = (
        _WITH_CONDITION if table_exists(conn, "elevator_condition") else _WITHOUT_CONDITION
    )
    query = _ELEVATORS.format(condition=condition, condition_join=join)
    params = {"as_of_date": city_date(as_of), "building_types": list(building_types)}
    return copy_out(conn, query, params, ELEVATOR_COLUMNS).sorted_by("elevator_id")


ALARM_COLUMNS: Columns = [
    ("elevator_id", "int4"),
    ("faults_30d", "float8"),
    ("faults_90d", "float8"),
    ("entrapments_30d", "float8"),
    ("entrapments_90d", "float8"),
    ("anomalies_30d", "float8"),
    ("anomalies_90d", "float8"),
    ("misuse_90d", "float8"),
    ("offline_s_30d", "float8"),
    ("serious_day", "int4"),
]

_ALARMS = """
SELECT elevator_id,
       count(*) FILTER (WHERE type = ANY(%(faults)s) AND opened_at >= %(t30)s)::float8,
       count(*) FILTER (WHERE type = ANY(%(faults)s) AND opened_at >= %(t90)s)::float8,
       count(*) FILTER (WHERE type = 'entrapment' AND opened_at >= %(t30)s)::float8,
       count(*) FILTER (WHERE type = 'entrapment' AND opened_at >= %(t90)s)::float8,
       count(*) FILTER (WHERE type = 'anomaly' AND opened_at >= %(t30)s)::float8,
       count(*) FILTER (WHERE type = 'anomaly' AND opened_at >= %(t90)s)::float8,
       count(*) FILTER (WHERE type = ANY(%(misuse)s) AND opened_at >= %(t90)s)::float8,
       COALESCE(sum(EXTRACT(EPOCH FROM
           LEAST(COALESCE(resolved_at, closed_at, %(as_of)s), %(as_of)s)
           - GREATEST(opened_at, %(t30)s))) FILTER (WHERE type = 'terminal_offline'
             AND COALESCE(resolved_at, closed_at, %(as_of)s) > %(t30)s), 0)::float8,
       COALESCE((max(opened_at) FILTER (WHERE type = ANY(%(serious)s) AND opened_at >= %(t90)s)
                 AT TIME ZONE %(tz)s)::date - DATE '1970-01-01', %(no_day)s)
FROM alarms
WHERE opened_at < %(as_of)s AND state <> 'false_alarm'
  AND (opened_at >= %(t90)s
       OR (type = 'terminal_offline' AND COALESCE(resolved_at, closed_at, %(as_of)s) > %(t30)s))
GROUP BY elevator_id
"""


def read_alarm_counts(
    conn: psycopg.Connection[Any],
    as_of: datetime,
    fault_types: Sequence[str],
    misuse_types: Sequence[str],
    serious_types: Sequence[str],
) -> Table:
    """Per elevator with alarms in the last 90 days: counts by kind, offline seconds in the
    last 30 days, and the day of the newest serious fault (``NO_DAY`` when none)."""
    params = {
        "as_of": as_of,
        "t30": as_of - timedelta(days=30),
        "t90": as_of - timedelta(days=90),
        "faults": list(fault_types),
        "misuse": list(misuse_types),
        "serious": list(serious_types),
        "no_day": int(NO_DAY),
        "tz": CITY_TZ_NAME,
    }
    return copy_out(conn, _ALARMS, params, ALARM_COLUMNS).sorted_by("elevator_id")


RECORD_COLUMNS: Columns = [
    ("elevator_id", "int4"),
    ("half_monthly", "int4"),
    ("quarterly", "int4"),
    ("half_yearly", "int4"),
    ("yearly", "int4"),
    ("last_visit", "int4"),
]

# Every record before ``as_of``: (elevator, day, level rank); the last-done days and the
# judged visits are derived in numpy from this one scan of the records.
_RECORD_DAYS = """
SELECT elevator_id, (ended_at AT TIME ZONE %(tz)s)::date - DATE '1970-01-01',
       COALESCE(array_position(%(levels)s::text[], level) - 1, -1)::int2
FROM maintenance_records WHERE ended_at < %(as_of)s
"""
_RECORD_DAY_COLUMNS: Columns = [("elevator_id", "int4"), ("day", "int4"), ("rank", "int2")]


def read_maintenance_history(
    conn: psycopg.Connection[Any], as_of: datetime, window_days: int, lookback_days: int
) -> tuple[Table, Table]:
    """From one scan of the records before ``as_of``:

    - per elevator with records (``RECORD_COLUMNS``, sorted by elevator id): the day each
      level was last done (a level is done by a visit of it or of any level above) and the
      day of the last visit of any kind (repairs too);
    - the maintenance visits (records of a planned level, one per elevator and day) of the
      last ``window_days`` days that have a previous visit within ``lookback_days`` days
      before the window, with their gap in days (``VISIT_COLUMNS``, by elevator id).
    """
    params = {"as_of": as_of, "levels": list(LEVEL_NAMES), "tz": CITY_TZ_NAME}
    rows = copy_out(conn, _RECORD_DAYS, params, _RECORD_DAY_COLUMNS)
    order = np.lexsort((rows["day"], rows["elevator_id"]))
    elevator = rows["elevator_id"][order].astype(np.int64)
    day = rows["day"][order].astype(np.int64)
    rank = rows["rank"][order].astype(np.int64)
    ids = np.unique(elevator)
    records = Table.full(numpy_schema(RECORD_COLUMNS), ids.shape[0], NO_DAY)
    records["elevator_id"] = ids

    def last_day(mask: NDArray[np.bool_]) -> NDArray[np.int64]:
        out = np.full(ids.shape[0], NO_DAY, dtype=np.int64)
        e, d = elevator[mask], day[mask]
        if e.size:
            ends = np.flatnonzero(np.append(e[1:] != e[:-1], True))  # sorted by day
            out[np.searchsorted(ids, e[ends])] = d[ends]
        return out

    for k, level in enumerate(LEVEL_NAMES):
        records[level] = last_day(rank >= k)
    records["last_visit"] = last_day(np.ones(day.shape[0], dtype=bool))

    from_day = (city_date(as_of) - date(1970, 1, 1)).days - window_days
    planned = (rank >= 0) & (day >= from_day - lookback_days)
    e, d = elevator[planned], day[planned]
    keep = np.append(e.size > 0, (e[1:] != e[:-1]) | (d[1:] != d[:-1]))[: e.size]  # 1 a day
    e, d = e[keep], d[keep]
    judged = np.flatnonzero((e[1:] == e[:-1]) & (d[1:] >= from_day)) + 1
    visits = Table(
        {
            "elevator_id": e[judged].astype(np.int32),
            "gap": (d[judged] - d[judged - 1]).astype(np.int32),
        }
    )
    return records, visits


COMPANY_COLUMNS: Columns = [
    ("company_id", "int4"),
    ("mean_arrival_min", "float8"),
]

_COMPANIES = """
WITH arrival AS (
    SELECT e.company_id, avg(EXTRACT(EPOCH FROM rc.arrived_at - rc.reported_at) / 60)::float8 AS m
    FROM rescue_cases rc JOIN elevators e ON e.id = rc.elevator_id
    WHERE rc.arrived_at IS NOT NULL AND rc.reported_at >= %(t365)s AND rc.reported_at < %(as_of)s
    GROUP BY e.company_id
)
SELECT c.id, COALESCE(arrival.m, 'NaN')
FROM maintenance_companies c
LEFT JOIN arrival ON arrival.company_id = c.id
ORDER BY c.id
"""


def read_company_records(conn: psycopg.Connection[Any], as_of: datetime) -> Table:
    """Per company: the mean rescue arrival (minutes) over the last 365 days."""
    params = {"as_of": as_of, "t365": as_of - timedelta(days=365)}
    return copy_out(conn, _COMPANIES, params, COMPANY_COLUMNS)


VISIT_COLUMNS: Columns = [
    ("elevator_id", "int4"),
    ("gap", "int4"),  # days since the elevator's previous maintenance visit
]
