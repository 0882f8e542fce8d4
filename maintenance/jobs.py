"""The score job: recompute every elevator's score, plan and work orders; raise and
resolve overdue alarms. ``liftwatch score`` runs it once; :class:`ScoreJob` runs it at
start and then daily beside the other services.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import numpy as np
import psycopg

from analytics.score import BUILDING_TYPES, GRADES
from domain.localtime import city_date
from domain.table import Table
from maintenance.config import ScoreSettings
from maintenance.facts import FAULT_TYPES, MISUSE_TYPES, FleetFacts
from maintenance.plans import StoredState, changes, score_fleet
from maintenance.policy import SERIOUS_TYPES, to_day
from maintenance.repository.columns import numpy_schema
from maintenance.repository.fleet_facts import (
    RECORD_COLUMNS,
    VISIT_COLUMNS,
    read_alarm_counts,
    read_company_records,
    read_elevators,
    read_maintenance_history,
)
from maintenance.repository.score_state import (
    begin_snapshot_reads,
    export_snapshot,
    import_snapshot,
    read_plan_state,
    read_reason_sets,
    read_score_state,
    write_scores_and_plans,
    writer_lock,
)
from maintenance.repository.work_orders import refresh_work_orders, update_overdue_alarms
from storage.jobs import PeriodicJob
from units.service import unit_facts

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RecomputeReport:
    elevators: int
    read_s: float
    compute_s: float
    write_s: float
    total_s: float
    grades: dict[str, int]
    eligible: int
    scores_written: int
    plans_changed: int
    work_orders_opened: int
    overdue_raised: int
    overdue_resolved: int
    overdue_elevators: int
    timings: dict[str, float] = field(default_factory=dict)


def read_facts(
    conn: psycopg.Connection[Any],
    as_of: datetime,
    settings: ScoreSettings | None = None,
    history: tuple[Table, Table] | None = None,
) -> FleetFacts:
    """The score inputs of the whole fleet, in four set-based queries (three when the
    maintenance ``history`` was read already, e.g. on another connection)."""
    records, visits = history or read_history(conn, as_of, settings or ScoreSettings())
    return FleetFacts(
        elevators=read_elevators(conn, as_of, [b.value for b in BUILDING_TYPES]),
        alarms=read_alarm_counts(
            conn,
            as_of,
            sorted(t.value for t in FAULT_TYPES),
            sorted(t.value for t in MISUSE_TYPES),
            sorted(t.value for t in SERIOUS_TYPES),
        ),
        records=records,
        companies=read_company_records(conn, as_of),
        visits=visits,
        units=unit_facts(conn, as_of),
    )


def read_history(
    conn: psycopg.Connection[Any], as_of: datetime, settings: ScoreSettings
) -> tuple[Table, Table]:
    """Last-done days per elevator and the judged visits (``read_maintenance_history``)."""
    return read_maintenance_history(
        conn, as_of, settings.on_time_window_days, settings.on_time_lookback_days
    )


def read_stored(conn: psycopg.Connection[Any]) -> StoredState:
    """What the previous runs wrote: the rows to compare this run's values with."""
    return StoredState(
        scores=read_score_state(conn),
        plans=read_plan_state(conn),
        reason_sets=read_reason_sets(conn),
    )


def recompute(
    conn: psycopg.Connection[Any], settings: ScoreSettings, as_of: datetime | None = None
) -> RecomputeReport:
    """Score the fleet as of ``as_of`` (default now) and write scores, plans, work orders
    and overdue alarms in one transaction."""
    at = as_of or datetime.now(UTC)
    if at.tzinfo is None:
        raise ValueError("as_of needs a time zone")
    t0 = time.perf_counter()
    # One run at a time from its reads to its writes: the writes are computed against the
    # rows read (only changed rows are written; new ones are inserted without ON CONFLICT).
    with writer_lock(conn):
        return _recompute(conn, settings, at, t0)


def _recompute(
    conn: psycopg.Connection[Any], settings: ScoreSettings, at: datetime, t0: float
) -> RecomputeReport:
    with conn.transaction():
        begin_snapshot_reads(conn)  # a consistent snapshot across the reads
        facts, stored, t_facts, t_stored = _read_all(conn, at, settings)
    t1 = time.perf_counter()
    day = to_day(city_date(at))
    fleet = score_fleet(facts, settings, day)
    t2 = time.perf_counter()
    todo = changes(fleet, stored, settings, at.timestamp(), day)
    t3 = time.perf_counter()
    with conn.transaction():
        scores, plans = write_scores_and_plans(conn, at, todo.scores, todo.plans, todo.reasons)
        t4 = time.perf_counter()
        opened = refresh_work_orders(conn, city_date(at), settings.work_order_horizon_days)
        t5 = time.perf_counter()
        overdue = update_overdue_alarms(conn, at)
    t6 = time.perf_counter()
    counts = np.bincount(fleet.result.grade, minlength=len(GRADES))
    return RecomputeReport(
        elevators=int(fleet.elevator_id.shape[0]),
        read_s=t1 - t0,
        compute_s=t2 - t1,
        write_s=t6 - t2,
        total_s=t6 - t0,
        grades={g: int(c) for g, c in zip(GRADES, counts, strict=True)},
        eligible=int(fleet.decision.eligible.sum()),
        scores_written=scores,
        plans_changed=plans,
        work_orders_opened=opened,
        overdue_raised=overdue.raised,
        overdue_resolved=overdue.resolved,
        overdue_elevators=overdue.overdue_elevators,
        timings={
            "read_facts_s": t_facts,  # on two connections at once: overlapping times
            "read_stored_s": t_stored,
            "diff_s": t3 - t2,
            "upsert_s": t4 - t3,
            "work_orders_s": t5 - t4,
            "overdue_s": t6 - t5,
        },
    )


def _read_all(
    conn: psycopg.Connection[Any], at: datetime, settings: ScoreSettings
) -> tuple[FleetFacts, StoredState, float, float]:
    """The facts and the stored state, read on two connections at once (the server and
    the client each have work for a core): a second connection imports this
    transaction's snapshot and reads the stored state and the maintenance history while
    ``conn`` reads the rest. Serial on ``conn`` when the second connection fails. Returns
    the two sides' times too."""
    t0 = time.perf_counter()
    snapshot = export_snapshot(conn)

    def other_side() -> tuple[StoredState, tuple[Table, Table], float]:
        t = time.perf_counter()
        info = conn.info
        with (
            psycopg.connect(info.dsn, password=info.password, autocommit=True) as other,
            other.transaction(),
        ):
            import_snapshot(other, snapshot)
            stored = read_stored(other)
            history = read_history(other, at, settings)
        return stored, history, time.perf_counter() - t

    with ThreadPoolExecutor(1, thread_name_prefix="score-read") as pool:
        future = pool.submit(other_side)
        empty = (
            Table.zeros(numpy_schema(RECORD_COLUMNS)),
            Table.zeros(numpy_schema(VISIT_COLUMNS)),
        )
        current = read_facts(conn, at, settings, history=empty)  # all but the history
        t_main = time.perf_counter() - t0
        try:
            stored, history, t_other = future.result()
        except psycopg.OperationalError as exc:
            log.warning("score job: second read connection failed (%s); reading serially", exc)
            t = time.perf_counter()
            stored, history = read_stored(conn), read_history(conn, at, settings)
            t_other = time.perf_counter() - t
    facts = replace(current, records=history[0], visits=history[1])
    return facts, stored, t_main, t_other


class ScoreJob(PeriodicJob):
    """Recompute once at start, then every ``settings.job_interval_s`` (daily)."""

    name = "score"

    def __init__(self, database_url: str, settings: ScoreSettings) -> None:
        super().__init__(settings.job_interval_s)
        self._url = database_url
        self._settings = settings
        self.last_report: RecomputeReport | None = None

    def run_once(self) -> RecomputeReport:
        with psycopg.connect(self._url, autocommit=True) as conn:
            report = recompute(conn, self._settings)
        self.last_report = report
        log.info(
            "scored %d elevators in %.2f s: grades %s, %d eligible, %d overdue",
            report.elevators,
            report.total_s,
            report.grades,
            report.eligible,
            report.overdue_elevators,
        )
        return report
