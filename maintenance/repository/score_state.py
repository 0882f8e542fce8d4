"""The score job's stored state and its bulk writes.

Reads what the previous runs wrote (scores, plans, reason sets) as column tables; writes
the changed rows by binary COPY into a temporary stage and one UPDATE and one INSERT per
table. :func:`writer_lock` and the snapshot functions let one run read on two
connections at once and keep other runs out from its reads to its writes.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import class_row
from psycopg.types.json import Jsonb

from domain.table import Table
from maintenance.repository.columns import (
    LEVEL_NAMES,
    NO_DAY,
    Columns,
    copy_in,
    copy_out,
    temp_ddl,
)

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


@dataclass(frozen=True)
class ReasonSet:
    key: int
    reasons: list[dict[str, str]]


def read_reason_sets(conn: psycopg.Connection[Any]) -> dict[int, list[dict[str, str]]]:
    """The stored reason list of every key."""
    with conn.cursor(row_factory=class_row(ReasonSet)) as cur:
        rows = cur.execute("SELECT key, reasons FROM maintenance_reason_sets").fetchall()
    return {row.key: list(row.reasons) for row in rows}


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
        conn.execute(temp_ddl(table, columns))
        copy_in(conn, table, columns, values)
        conn.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(table)))
        written[i] += conn.execute(update, base).rowcount
        written[i] += conn.execute(insert, base).rowcount
    return written[0], written[1]


@contextmanager
def writer_lock(conn: psycopg.Connection[Any]) -> Iterator[None]:
    """Hold the score job's session lock: one run at a time from its reads to its writes
    (the writes are computed against the rows read; new rows are inserted without ON
    CONFLICT)."""
    conn.execute("SELECT pg_advisory_lock(%s)", (WRITER_LOCK,))
    try:
        yield
    finally:
        conn.execute("SELECT pg_advisory_unlock(%s)", (WRITER_LOCK,))


def begin_snapshot_reads(conn: psycopg.Connection[Any]) -> None:
    """In the caller's transaction: a consistent snapshot across the reads (when the
    connection is in autocommit mode, the transaction block is the caller's), and hash
    aggregates and sorts in memory."""
    if conn.autocommit:
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
    conn.execute("SET LOCAL work_mem = '64MB'")


def export_snapshot(conn: psycopg.Connection[Any]) -> str:
    """The name of the current transaction's snapshot, for :func:`import_snapshot`."""
    row = conn.execute("SELECT pg_export_snapshot()").fetchone()
    if row is None:
        raise RuntimeError("pg_export_snapshot() returned no row")
    return str(row[0])


def import_snapshot(conn: psycopg.Connection[Any], snapshot: str) -> None:
    """At the start of the caller's transaction on another connection: read the rows
    that the transaction of ``snapshot`` reads."""
    conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
    conn.execute(sql.SQL("SET TRANSACTION SNAPSHOT {}").format(sql.Literal(snapshot)))
    conn.execute("SET LOCAL work_mem = '64MB'")
