"""The demo's user-unit records: a simulated history of 日管控、周排查、月调度 and certified
staff (:mod:`simulators.units`) written through the units repository, so the score's
user-unit factor reads recorded checks from the first run."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import psycopg

from domain.fleet import Fleet
from domain.localtime import CITY_TZ
from simulators.units import unit_behaviour
from units import repository as units_repo
from units.policy import WINDOW_DAYS

DAILY = json.dumps({k: True for k in ("run", "door", "alarm", "light", "notice")})
WEEKLY = json.dumps({k: True for k in ("hazards", "maintenance", "rescue")})
MONTHLY = json.dumps({k: True for k in ("review", "hazards", "plan")})
MINUTES = "本月电梯安全调度会：总结日管控、周排查情况，部署隐患整改。"


def _at(start: date, day: int, hour: int) -> datetime:
    return datetime.combine(start + timedelta(days=day), time(hour), CITY_TZ).astimezone(UTC)


def seed_unit_records(conn: psycopg.Connection[Any], fleet: Fleet, seed: int, today: date) -> int:
    """Simulated records of the window before today (once: nothing when records exist)."""
    from evaluation.unit_checks import window_checks

    if units_repo.has_checks(conn):
        return 0
    behaviour = unit_behaviour(fleet, seed + 300)
    history = window_checks(fleet, behaviour, today, seed + 301)
    ids = units_repo.default_checklist_ids(conn)
    unit_of = {e.id: e.user_unit_id for e in fleet.elevators}
    start = history.start
    rows: list[tuple[Any, ...]] = []
    for eid, day in zip(history.daily_elevator.tolist(), history.daily_day.tolist(), strict=True):
        rows.append((unit_of[eid], ids["daily"], "daily", eid, None, start + timedelta(days=day),
                     _at(start, day, 9), "user_unit:sim", DAILY, 0, ""))  # fmt: skip
    for u, day in zip(history.weekly_unit.tolist(), history.weekly_day.tolist(), strict=True):
        rows.append((u, ids["weekly"], "weekly", None, None, start + timedelta(days=day),
                     _at(start, max(day, 0), 15), "user_unit:sim", WEEKLY, 0, ""))  # fmt: skip
    for u, day in zip(history.monthly_unit.tolist(), history.monthly_day.tolist(), strict=True):
        rows.append((u, ids["monthly"], "monthly", None, None, start + timedelta(days=day),
                     _at(start, max(day, 0), 16), "user_unit:sim", MONTHLY, 0,
                     MINUTES))  # fmt: skip
    staff: list[tuple[Any, ...]] = []
    for u, ok in history.staffed.items():
        valid = today + timedelta(days=365) if ok else today - timedelta(days=30)
        staff.append((u, "director", f"安全总监{u}", "", f"TSZ{u:06d}", valid))
        staff.append((u, "officer", f"安全员{u}", "", f"TSY{u:06d}", valid))
    with conn.transaction():
        units_repo.import_checks(conn, rows)
        units_repo.import_staff(conn, staff)
    return len(rows)


__all__ = ["WINDOW_DAYS", "seed_unit_records"]
