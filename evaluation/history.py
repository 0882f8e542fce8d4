"""Seed the registered fleet's past (:func:`simulators.history.generate_history`) so the
demo's map, indicators and case board show a realistic mix from the first minute.

Only for a simulated fleet: a registry whose elevators the simulator did not generate
(no marker in ``sim_elevator_condition``) gets no invented past. Idempotent: the first
call seeds ``days`` days up to ``now``; a later call seeds only
the time since the last seeded window (continuing each elevator's maintenance schedule
from its last visits), and nothing when that is under ``min_gap``. One transaction,
under an advisory lock, so two demo starts at once seed once.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import psycopg

from domain.fleet import Fleet
from evaluation import history_repository as repo
from fleet.terminal_repository import fleet_is_simulated
from simulators.history import MaintenanceState, generate_history

MIN_GAP = timedelta(hours=12)


@dataclass(frozen=True)
class SeedReport:
    from_ts: datetime | None  # None: nothing to seed
    to_ts: datetime
    visits: int
    alarms: int
    cases: int
    case_events: int
    generate_s: float
    write_s: float
    skipped: str = ""  # why nothing was seeded

    @property
    def rows(self) -> int:
        return self.visits + 2 * self.alarms + self.cases + self.case_events


def _ms(t: datetime) -> int:
    return int(t.timestamp() * 1000)


def seed_history(
    conn: psycopg.Connection[Any],
    fleet: Fleet,
    seed: int,
    now: datetime,
    days: int = 365,
    min_gap: timedelta = MIN_GAP,
) -> SeedReport:
    """Seed the history of ``fleet`` (as registered) up to ``now``; commits."""
    with conn.transaction():
        repo.lock(conn)
        if not fleet_is_simulated(conn):
            return SeedReport(None, now, 0, 0, 0, 0, 0.0, 0.0, "not a simulated fleet")
        last = repo.last_window(conn)
        if last is not None and now - last.to_ts < min_gap:
            return SeedReport(None, now, 0, 0, 0, 0, 0.0, 0.0, "seeded recently")
        state = None
        start = now - timedelta(days=days)
        if last is not None:
            start = last.to_ts
            ids = [e.id for e in fleet.elevators]
            state = MaintenanceState(repo.last_done_days(conn, ids))
        t0 = time.perf_counter()
        history = generate_history(fleet, seed, _ms(start), _ms(now), state)
        t1 = time.perf_counter()
        written = repo.write_history(conn, history, seed)
        t2 = time.perf_counter()
    return SeedReport(
        start, now, written.visits, written.alarms, written.cases, written.case_events,
        t1 - t0, t2 - t1,
    )  # fmt: skip
