"""Set-based reads of the score inputs and bulk writes of scores and plans.

The whole fleet moves as column tables (:class:`domain.table.Table`): every column is
fixed-width and never NULL (the queries COALESCE unknowns to NaN or a sentinel), so numpy
reads and writes them without a Python loop per elevator. Reads come as one ``bytea`` per
column packed by the server (:func:`copy_out`), writes go by binary COPY (:func:`copy_in`).
"""

from __future__ import annotations

import struct
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import psycopg
from numpy.typing import NDArray
from psycopg import sql
from psycopg.types.json import Jsonb

from domain.localtime import CITY_TZ_NAME, city_date
from domain.table import Table

_SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
_HEADER = _SIGNATURE + struct.pack(">ii", 0, 0)
_TRAILER = b"\xff\xff"
NO_DAY = np.iinfo(np.int32).min  # "no date" in day-number columns (days since 1970-01-01)
LEVEL_NAMES = ("half_monthly", "quarterly", "half_yearly", "yearly")

# PostgreSQL type -> big-endian numpy type of its binary representation.
PG_TYPES: dict[str, str] = {
    "int2": ">i2",
    "int4": ">i4",
    "int8": ">i8",
    "float8": ">f8",
    "bool": "?",
}

Columns = Sequence[tuple[str, str]]  # (name, PostgreSQL type)


def _row_dtype(columns: Columns) -> np.dtype[Any]:
    fields: list[tuple[str, str]] = [("_nfields", ">i2")]
    for name, pgtype in columns:
        fields += [(f"_len_{name}", ">i4"), (name, PG_TYPES[pgtype])]
    return np.dtype(fields)


_SEND = {"int2": "int2send", "int4": "int4send", "int8": "int8send", "float8": "float8send"}
_SEND["bool"] = "boolsend"


def copy_out(
    conn: psycopg.Connection[Any], query: str, params: Mapping[str, Any], columns: Columns
) -> Table:
    """Run ``query`` and return its rows as a column table.

    Every column of ``query`` must be of the declared type and never NULL. The server
    packs each column into one ``bytea`` of fixed-width big-endian values (``int4send``
    etc., ``string_agg``), which numpy reads as it is: a binary COPY hands the rows over
    one message each, and the Python loop over a million of them cost more than the query.
    All the aggregates of one query read the same rows in the same order, so the columns
    line up; a NULL (skipped by ``string_agg``) shows as a short column and is refused.
    """
    names = [sql.Identifier(f"c{i}") for i in range(len(columns))]
    packed = sql.SQL(", ").join(
        sql.SQL("string_agg({}({}), ''::bytea)").format(
            sql.SQL(_SEND[t]),  # type: ignore[arg-type,unused-ignore]
            n,
        )
        for n, (_, t) in zip(names, columns, strict=True)
    )
    statement = sql.SQL("SELECT count(*), {} FROM ({}) AS q ({})").format(
        packed,
        sql.SQL(query),  # type: ignore[arg-type,unused-ignore]
        sql.SQL(", ").join(names),
    )
    row = conn.execute(statement, params, binary=True).fetchone()
    count = 0 if row is None else int(row[0])
    out: dict[str, NDArray[Any]] = {}
    for i, (name, t) in enumerate(columns):
        data = None if row is None else row[i + 1]
        wire = np.frombuffer(data or b"", dtype=PG_TYPES[t])
        if wire.shape[0] != count:
            raise ValueError(f"column {name!r} of the query has NULLs")
        out[name] = wire.astype(PG_TYPES[t].lstrip(">"))
    return Table(out)


def numpy_schema(columns: Columns) -> list[tuple[str, str]]:
    """The native numpy types of ``columns`` (for tables built outside the database)."""
    return [(name, PG_TYPES[t].lstrip(">")) for name, t in columns]


def copy_in(
    conn: psycopg.Connection[Any], table: str, columns: Columns, values: Mapping[str, Any]
) -> int:
    """Write equal-length arrays ``values[name]`` into ``table`` with one binary COPY."""
    dtype = _row_dtype(columns)
    n = len(values[columns[0][0]])
    rows = np.empty(n, dtype=dtype)
    rows["_nfields"] = len(columns)
    for name, _ in columns:
        rows[f"_len_{name}"] = dtype[name].itemsize
        rows[name] = values[name]
    statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT binary)").format(
        sql.Identifier(table), sql.SQL(", ").join(sql.Identifier(c) for c, _ in columns)
    )
    with conn.cursor().copy(statement) as copy:
        copy.write(_HEADER + rows.tobytes() + _TRAILER)
    return n


def table_exists(conn: psycopg.Connection[Any], name: str) -> bool:
    row = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (name,)).fetchone()
    return bool(row and row[0])


# -- reads -------------------------------------------------------------------------------

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

# -- the stored state (what the previous run wrote) -------------------------------------

NO_KEY = NO_DAY  # "no reason key" (rows written by something else than the job)

SCORE_STATE_COLUMNS: Columns = [
    ("elevator_id", "int4"),
    ("total", "float8"),
    ("grade", "int2"),
    ("eligible", "bool"),
    ("interval_days", "int4"),
    ("reason_key", "int4"),
    ("computed_at", "float8"),  # seconds since the epoch
]
_SCORE_STATE = """
SELECT elevator_id, total::float8,
       (COALESCE(array_position(ARRAY['A', 'B', 'C', 'D'], grade::text), 0) - 1)::int2,
       eligible, interval_days, COALESCE(reason_key, %(no_key)s),
       EXTRACT(EPOCH FROM computed_at)::float8
FROM elevator_scores
"""

PLAN_STATE_COLUMNS: Columns = [
    ("elevator_id", "int4"),
    ("level", "int2"),  # index into LEVEL_NAMES
    ("interval_days", "int4"),
    ("last_done", "int4"),  # day number, NO_DAY: never
    ("next_due", "int4"),
    ("reason_key", "int4"),
]
_PLAN_STATE = """
SELECT elevator_id, (array_position(%(levels)s::text[], level) - 1)::int2, interval_days,
       COALESCE(last_done - DATE '1970-01-01', %(no_day)s), next_due - DATE '1970-01-01',
       COALESCE(reason_key, %(no_key)s)
FROM maintenance_plans
"""


def read_score_state(conn: psycopg.Connection[Any]) -> Table:
    """The stored score rows (``SCORE_STATE_COLUMNS``), sorted by elevator id."""
    rows = copy_out(conn, _SCORE_STATE, {"no_key": int(NO_KEY)}, SCORE_STATE_COLUMNS)
    return rows.sorted_by("elevator_id")


def read_plan_state(conn: psycopg.Connection[Any]) -> Table:
    """The stored plan rows (``PLAN_STATE_COLUMNS``), sorted by elevator id and level."""
    params = {"levels": list(LEVEL_NAMES), "no_day": int(NO_DAY), "no_key": int(NO_KEY)}
    rows = copy_out(conn, _PLAN_STATE, params, PLAN_STATE_COLUMNS)
    return rows.sorted_by("elevator_id", "level")


def read_reason_sets(conn: psycopg.Connection[Any]) -> dict[int, list[dict[str, str]]]:
    rows = conn.execute("SELECT key, reasons FROM maintenance_reason_sets").fetchall()
    return {int(k): list(v) for k, v in rows}


# -- writes ------------------------------------------------------------------------------

FACTOR_NAMES = ("age", "company", "user_unit", "credit", "monitoring")

# The rows to write (only those that changed): ``is_new`` rows are inserted (a plain
# INSERT: the score job holds WRITER_LOCK from its reads to its writes and is the only
# writer of new rows; ON CONFLICT would cost a speculative insertion per row), the others
# updated.
SCORE_STAGE_COLUMNS: Columns = [
    ("elevator_id", "int4"),
    ("total", "float8"),
    ("grade", "int2"),
    ("baseline", "float8"),
    *[(f"f_{name}", "float8") for name in FACTOR_NAMES],
    *[(f"c_{name}", "float8") for name in FACTOR_NAMES],
    ("eligible", "bool"),
    ("interval_days", "int4"),
    ("reason_key", "int4"),
    ("is_new", "bool"),
]
# Plan rows to write; old_* are the values read before the computation: an update applies
# only while the row still holds them (a work order completed meanwhile wins; the next
# run recomputes that plan).
PLAN_STAGE_COLUMNS: Columns = [
    ("elevator_id", "int4"),
    ("level", "int2"),
    ("interval_days", "int4"),
    ("last_done", "int4"),
    ("next_due", "int4"),
    ("reason_key", "int4"),
    ("is_new", "bool"),
    ("old_interval", "int4"),
    ("old_last", "int4"),
    ("old_due", "int4"),
]


def _temp_ddl(table: str, columns: Columns) -> sql.Composed:
    return sql.SQL("CREATE TEMP TABLE {} ({}) ON COMMIT DROP").format(
        sql.Identifier(table),
        sql.SQL(", ").join(
            sql.SQL("{} {}").format(sql.Identifier(n), sql.SQL(t)) for n, t in columns
        ),
    )


_UPDATE_SCORES = """
UPDATE elevator_scores e SET computed_at = %(at)s, total = s.total,
    grade = (ARRAY['A', 'B', 'C', 'D'])[s.grade + 1], baseline = s.baseline,
    factors = jsonb_build_object('age', s.f_age, 'company', s.f_company, 'user_unit', s.f_user_unit,
                          'credit', s.f_credit, 'monitoring', s.f_monitoring),
    contributions = jsonb_build_object('age', s.c_age, 'company', s.c_company,
        'user_unit', s.c_user_unit, 'credit', s.c_credit, 'monitoring', s.c_monitoring),
    eligible = s.eligible, interval_days = s.interval_days, reasons = r.reasons,
    reason_key = s.reason_key
FROM score_stage s JOIN maintenance_reason_sets r ON r.key = s.reason_key
WHERE NOT s.is_new AND e.elevator_id = s.elevator_id
"""
_INSERT_SCORES = """
INSERT INTO elevator_scores (elevator_id, computed_at, total, grade, baseline, factors,
                             contributions, eligible, interval_days, reasons, reason_key)
SELECT s.elevator_id, %(at)s, s.total, (ARRAY['A', 'B', 'C', 'D'])[s.grade + 1], s.baseline,
       jsonb_build_object('age', s.f_age, 'company', s.f_company, 'user_unit', s.f_user_unit,
                          'credit', s.f_credit, 'monitoring', s.f_monitoring),
       jsonb_build_object('age', s.c_age, 'company', s.c_company, 'user_unit', s.c_user_unit,
                          'credit', s.c_credit, 'monitoring', s.c_monitoring),
       s.eligible, s.interval_days, r.reasons, s.reason_key
FROM score_stage s JOIN maintenance_reason_sets r ON r.key = s.reason_key
WHERE s.is_new
"""
_UPDATE_PLANS = """
UPDATE maintenance_plans p SET interval_days = s.interval_days,
    last_done = CASE WHEN s.last_done = %(no_day)s THEN NULL
                     ELSE DATE '1970-01-01' + s.last_done END,
    next_due = DATE '1970-01-01' + s.next_due, reasons = r.reasons, reason_key = s.reason_key,
    updated_at = %(at)s
FROM plan_stage s JOIN maintenance_reason_sets r ON r.key = s.reason_key
WHERE NOT s.is_new AND p.elevator_id = s.elevator_id
  AND p.level = (%(levels)s::text[])[s.level + 1]
  AND p.interval_days = s.old_interval AND p.next_due = DATE '1970-01-01' + s.old_due
  AND p.last_done IS NOT DISTINCT FROM
      CASE WHEN s.old_last = %(no_day)s THEN NULL ELSE DATE '1970-01-01' + s.old_last END
"""
_INSERT_PLANS = """
INSERT INTO maintenance_plans (elevator_id, level, interval_days, last_done, next_due, reasons,
                               reason_key, updated_at)
SELECT s.elevator_id, (%(levels)s::text[])[s.level + 1], s.interval_days,
       CASE WHEN s.last_done = %(no_day)s THEN NULL ELSE DATE '1970-01-01' + s.last_done END,
       DATE '1970-01-01' + s.next_due, r.reasons, s.reason_key, %(at)s
FROM plan_stage s JOIN maintenance_reason_sets r ON r.key = s.reason_key
WHERE s.is_new
"""

WRITER_LOCK = 0x6C77_7363  # advisory lock key of the score job's writes


def write_reason_sets(
    conn: psycopg.Connection[Any], reasons: Mapping[int, list[dict[str, str]]]
) -> None:
    """Store the reason list of every key (inserted or replaced when its text changed)."""
    with conn.cursor() as cur:
        cur.executemany(
            """INSERT INTO maintenance_reason_sets (key, reasons) VALUES (%s, %s)
               ON CONFLICT (key) DO UPDATE SET reasons = EXCLUDED.reasons
               WHERE maintenance_reason_sets.reasons IS DISTINCT FROM EXCLUDED.reasons""",
            [(k, Jsonb(v)) for k, v in reasons.items()],
        )


def write_scores_and_plans(
    conn: psycopg.Connection[Any],
    at: datetime,
    scores: Mapping[str, Any],
    plans: Mapping[str, Any],
    reasons: Mapping[int, list[dict[str, str]]],
) -> tuple[int, int]:
    """Write the changed score rows (``SCORE_STAGE_COLUMNS``) and plan rows
    (``PLAN_STAGE_COLUMNS``) in the caller's transaction: one binary COPY per table into a
    temporary stage, then one UPDATE and one INSERT each. ``reasons`` holds the reason list
    of every key used. Returns the number of score rows and plan rows written."""
    conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITER_LOCK,))
    write_reason_sets(conn, reasons)
    written = [0, 0]
    base = {"at": at, "no_day": int(NO_DAY), "levels": list(LEVEL_NAMES)}
    for i, (table, columns, values, update, insert) in enumerate(
        (
            ("score_stage", SCORE_STAGE_COLUMNS, scores, _UPDATE_SCORES, _INSERT_SCORES),
            ("plan_stage", PLAN_STAGE_COLUMNS, plans, _UPDATE_PLANS, _INSERT_PLANS),
        )
    ):
        n = len(values[columns[0][0]])
        if n == 0:
            continue
        conn.execute(_temp_ddl(table, columns))
        copy_in(conn, table, columns, values)
        conn.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(table)))
        written[i] += conn.execute(update, base).rowcount
        written[i] += conn.execute(insert, base).rowcount
    return written[0], written[1]


def day_number(d: date) -> int:
    return (d - date(1970, 1, 1)).days
