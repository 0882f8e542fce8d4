"""Use cases of user units: their records, staff, checks, and completion; the score job
reads :func:`unit_facts` (completion per unit) through the same rules."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from domain.localtime import city_date
from domain.table import Table
from units import repository as repo
from units.errors import AlreadyRecorded, InvalidCheck, UnknownTarget, UnknownUnit
from units.model import Checklist, CheckRecord, Completion, NewCheck, Staff, Unit
from units.policy import WINDOW_DAYS, check_record, completion, period_start

AsyncConn = repo.AsyncConn


def window(today: date, days: int) -> tuple[date, date]:
    """The ``days`` days up to and including ``today``, as [start, end)."""
    return today - timedelta(days=days - 1), today + timedelta(days=1)


async def units(conn: AsyncConn, only: int | None, limit: int, offset: int) -> list[Unit]:
    return await repo.units(conn, only, limit, offset)


async def unit(conn: AsyncConn, unit_id: int) -> Unit:
    found = await repo.unit(conn, unit_id)
    if found is None:
        raise UnknownUnit(unit_id)
    return found


async def staff(conn: AsyncConn, unit_id: int) -> list[Staff]:
    await unit(conn, unit_id)
    return await repo.staff(conn, unit_id)


async def add_staff(conn: AsyncConn, unit_id: int, values: dict[str, Any]) -> Staff:
    await unit(conn, unit_id)
    return await repo.add_staff(conn, unit_id, values)


async def checklists(conn: AsyncConn, unit_id: int) -> list[Checklist]:
    await unit(conn, unit_id)
    return await repo.checklists(conn, unit_id)


async def record_check(
    conn: AsyncConn, unit_id: int, new: NewCheck, actor: str, now: datetime
) -> CheckRecord:
    """Record a daily check, a weekly investigation or a monthly meeting against the
    unit's checklist; one record per target and period."""
    await unit(conn, unit_id)
    checklist = await repo.checklist(conn, unit_id, new.kind.value)
    if checklist is None:
        raise InvalidCheck.no_checklist(new.kind.value)
    problems = check_record(new, checklist.per, checklist.items, city_date(now))
    elevator = new.elevator_id if new.kind.value == "daily" else None
    building = new.building if new.kind.value == "daily" and elevator is None else None
    if (elevator is not None or building is not None) and not await repo.unit_has_target(
        conn, unit_id, elevator, building
    ):
        raise UnknownTarget("errors.units.not_your_target")
    record = await repo.insert_check(
        conn,
        {
            "unit": unit_id, "checklist": checklist.id, "kind": new.kind.value,
            "elevator": elevator, "building": building,
            "period": period_start(new.kind, new.day), "at": now, "by": actor,
            "results": new.results, "problems": problems, "minutes": new.minutes,
        },
    )  # fmt: skip
    if record is None:
        raise AlreadyRecorded()
    return record


async def checks(
    conn: AsyncConn, unit_id: int, since: date, kind: str | None, limit: int, offset: int
) -> list[CheckRecord]:
    await unit(conn, unit_id)
    return await repo.checks(conn, unit_id, since, kind, limit, offset)


async def completions(
    conn: AsyncConn, unit_id: int | None, today: date, days: int = WINDOW_DAYS
) -> list[Completion]:
    """Each unit's completion over the ``days`` before today."""
    start, end = window(today, days)
    found = await repo.counts(conn, unit_id, start, end)
    return [completion(c, days) for c in found]


def unit_facts(conn: repo.SyncConn, as_of: datetime, days: int = WINDOW_DAYS) -> Table:
    """Completion and staffing per unit as of ``as_of``, for the score's user-unit factor."""
    start, end = window(city_date(as_of), days)
    found = repo.read_counts(conn, start, end)
    return repo.unit_facts(
        [(c.user_unit_id, completion(c, days).overall, c.staffed) for c in found]
    )
