"""Writes a generated history (:mod:`simulators.history`) into the product's tables with
COPY: alarms (with their ground truth in ``sim_fault_truth``), rescue cases and their
timelines, maintenance records; and the window in ``sim_history_windows`` (migration
0610), which makes seeding idempotent. Ids of alarms and cases are taken from their
sequences up front, so the cases can name their alarms without a round trip per row.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
import psycopg
from psycopg.rows import class_row, scalar_row

from domain.localtime import CITY_TZ_NAME
from simulators.history import LEVELS, NEVER, Cases, History

SOURCE = "history"  # the alarms' source: seeded, not detected
LOCK_KEY = "liftwatch.sim_history"
EPOCH = date(1970, 1, 1)


@dataclass(frozen=True)
class Window:
    seed: int
    from_ts: datetime
    to_ts: datetime


@dataclass(frozen=True)
class Written:
    visits: int
    alarms: int
    cases: int
    case_events: int


def lock(conn: psycopg.Connection[Any]) -> None:
    """Serialise seeders until the end of the transaction (two demo starts at once)."""
    conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (LOCK_KEY,))


def last_window(conn: psycopg.Connection[Any]) -> Window | None:
    with conn.cursor(row_factory=class_row(Window)) as cur:
        cur.execute(
            "SELECT seed, from_ts, to_ts FROM sim_history_windows ORDER BY to_ts DESC LIMIT 1"
        )
        return cur.fetchone()


def last_done_days(conn: psycopg.Connection[Any], elevator_ids: list[int]) -> npt.NDArray[np.int64]:
    """Per elevator (in the order given) and level, the local day number it was last done
    (by a visit of that level or a higher one); ``NEVER`` when never."""
    out = np.full((len(elevator_ids), len(LEVELS)), NEVER, dtype=np.int64)
    position = {e: i for i, e in enumerate(elevator_ids)}
    with conn.cursor() as cur:
        cur.execute(
            """SELECT elevator_id, array_position(%(levels)s::text[], level) - 1,
                      max((ended_at AT TIME ZONE %(tz)s)::date) - DATE '1970-01-01'
               FROM maintenance_records WHERE level = ANY(%(levels)s)
               GROUP BY elevator_id, level""",
            {"levels": list(LEVELS), "tz": CITY_TZ_NAME},
        )
        for elevator_id, rank, day in cur.fetchall():
            i = position.get(int(elevator_id))
            if i is not None:
                out[i, : int(rank) + 1] = np.maximum(out[i, : int(rank) + 1], int(day))
    return out


def _ts(ms: int) -> datetime | None:
    return datetime.fromtimestamp(ms / 1000, UTC) if ms else None


def _reserve(conn: psycopg.Connection[Any], table: str, n: int) -> list[int]:
    """``n`` fresh ids from the table's id sequence."""
    if n == 0:
        return []
    with conn.cursor(row_factory=scalar_row) as cur:
        cur.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            (table, n),
        )
        return [int(v) for v in cur.fetchall()]


def _write_alarms(conn: psycopg.Connection[Any], h: History) -> list[int]:
    a = h.alarms
    ids = _reserve(conn, "alarms", len(a.type))
    with conn.cursor() as cur:
        with cur.copy(
            "COPY alarms (id, elevator_id, type, severity, state, source, opened_at,"
            " last_seen_at, acknowledged_at, resolved_at, closed_at, detail) FROM STDIN"
        ) as copy:
            for i, t in enumerate(a.truth):
                opened = _ts(int(a.opened_ms[i]))
                detail = json.dumps({"detail": t.detail} if t.detail else {})
                copy.write_row(
                    (ids[i], t.elevator_id, a.type[i], int(a.severity[i]), a.state[i], SOURCE,
                     opened, _ts(int(a.resolved_ms[i])), opened, _ts(int(a.resolved_ms[i])),
                     _ts(int(a.closed_ms[i])), detail)
                )  # fmt: skip
        with cur.copy(
            "COPY sim_fault_truth (alarm_id, elevator_id, kind, started_at, ended_at, detail)"
            " FROM STDIN"
        ) as copy:
            for i, t in enumerate(a.truth):
                copy.write_row(
                    (ids[i], t.elevator_id, t.kind, _ts(t.start_ms), _ts(t.end_ms), t.detail)
                )
    return ids


def _case_steps(c: Cases, i: int) -> list[tuple[int, str, str]]:
    """(epoch ms, step, actor) of case ``i``'s timeline."""
    rescuer = f"rescuer:{int(c.rescuer_id[i])}"
    steps = [(int(c.reported_ms[i]), "reported", "system")]
    if c.state[i] == "false_alarm":
        return [*steps, (int(c.closed_ms[i]), "false_alarm", "desk")]
    return [
        *steps,
        (int(c.decided_ms[i]) - 1000, "offered", "system"),
        (int(c.accepted_ms[i]), "accepted", rescuer),
        (int(c.accepted_ms[i]) + 30_000, "en_route", rescuer),
        (int(c.arrived_ms[i]), "on_site", rescuer),
        (int(c.released_ms[i]), "released", rescuer),
        (int(c.closed_ms[i]), "closed", "desk"),
    ]


def _write_cases(conn: psycopg.Connection[Any], h: History, alarm_ids: list[int]) -> int:
    c = h.cases
    ids = _reserve(conn, "rescue_cases", len(c.state))
    events = 0
    with conn.cursor() as cur:
        with cur.copy(
            "COPY rescue_cases (id, elevator_id, alarm_id, source, state, tier, rescuer_id,"
            " people_trapped, caller_phone, trapped_since, reported_at, decided_at,"
            " accepted_at, arrived_at, released_at, closed_at, arrival_due_at) FROM STDIN"
        ) as copy:
            for i, case_id in enumerate(ids):
                copy.write_row(
                    (case_id, int(c.elevator_id[i]), alarm_ids[int(c.alarm[i])], c.source[i],
                     c.state[i], 1, int(c.rescuer_id[i]) or None, int(c.people[i]),
                     c.caller_phone[i], _ts(int(c.trapped_ms[i])), _ts(int(c.reported_ms[i])),
                     _ts(int(c.decided_ms[i])), _ts(int(c.accepted_ms[i])),
                     _ts(int(c.arrived_ms[i])), _ts(int(c.released_ms[i])),
                     _ts(int(c.closed_ms[i])), _ts(int(c.arrival_due_ms[i])))
                )  # fmt: skip
        with cur.copy("COPY case_events (case_id, at, step, actor) FROM STDIN") as copy:
            for i, case_id in enumerate(ids):
                for ms, step, actor in _case_steps(c, i):
                    copy.write_row((case_id, _ts(ms), step, actor))
                    events += 1
    return events


def _write_visits(conn: psycopg.Connection[Any], h: History) -> None:
    v = h.visits
    with (
        conn.cursor() as cur,
        cur.copy(
            "COPY maintenance_records (elevator_id, company_id, level, technician, started_at,"
            " ended_at, findings, due_date) FROM STDIN"
        ) as copy,
    ):
        for i, level in enumerate(v.level):
            due = int(v.due_day[i])
            copy.write_row(
                (int(v.elevator_id[i]), int(v.company_id[i]), level, v.technician[i],
                 _ts(int(v.started_ms[i])), _ts(int(v.ended_ms[i])), v.findings[i],
                 None if due == NEVER else EPOCH + timedelta(days=due))
            )  # fmt: skip


def write_history(conn: psycopg.Connection[Any], h: History, seed: int) -> Written:
    """Write the history and record its window, in the caller's transaction."""
    alarm_ids = _write_alarms(conn, h)
    events = _write_cases(conn, h, alarm_ids)
    _write_visits(conn, h)
    conn.execute(
        "INSERT INTO sim_history_windows (seed, from_ts, to_ts, visits, alarms, cases)"
        " VALUES (%s, %s, %s, %s, %s, %s)",
        (seed, _ts(h.start_ms), _ts(h.end_ms), len(h.visits.level), len(alarm_ids),
         len(h.cases.state)),
    )  # fmt: skip
    return Written(len(h.visits.level), len(alarm_ids), len(h.cases.state), events)
