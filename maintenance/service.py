"""Use cases of the maintenance API: scores with their explanation, the city distribution,
an elevator's plans and work orders, the paperless completion of a work order and the
supervisor indicators.

``scope`` is the company whose elevators alone the caller may see (None: every company);
things of other companies answer "not found", so their existence is not revealed.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg

from domain.localtime import city_date, city_today
from maintenance.errors import (
    CompanyNotFound,
    ElevatorNotFound,
    ScoreNotComputed,
    WorkOrderClosed,
    WorkOrderNotFound,
)
from maintenance.model import (
    PENDING_STATES,
    Completion,
    Distribution,
    ElevatorScore,
    GroupBy,
    IndicatorCounts,
    MaintenancePlan,
    Record,
    ScoreSummary,
)
from maintenance.policy import levels_covered
from maintenance.repository import indicators as indicator_repository
from maintenance.repository import scores as score_repository
from maintenance.repository import work_orders as work_order_repository

Connection = psycopg.AsyncConnection[Any]
GRADE_LETTERS = "ABCD"


def _sees(scope: int | None, company_id: int) -> bool:
    return scope is None or company_id == scope


async def visible_elevator(conn: Connection, elevator_id: int, scope: int | None) -> int:
    """The elevator's company; :class:`ElevatorNotFound` when the caller may not see it."""
    company = await score_repository.fetch_elevator_company(conn, elevator_id)
    if company is None or not _sees(scope, company):
        raise ElevatorNotFound(elevator_id)
    return company


async def elevator_score(conn: Connection, elevator_id: int, scope: int | None) -> ElevatorScore:
    await visible_elevator(conn, elevator_id, scope)
    score = await score_repository.fetch_score(conn, elevator_id)
    if score is None:
        raise ScoreNotComputed(elevator_id)
    return score


async def company_scores(
    conn: Connection,
    company_id: int,
    scope: int | None,
    grade: str | None,
    limit: int,
    offset: int,
) -> tuple[int, list[ScoreSummary]]:
    """The company's total number of scores (of ``grade`` when given) and a page of them,
    riskiest (lowest total) first."""
    if not _sees(scope, company_id):
        raise CompanyNotFound(company_id)
    total = await score_repository.count_company_scores(conn, company_id, grade)
    rows = await score_repository.fetch_company_scores(conn, company_id, grade, limit, offset)
    return total, rows


async def distribution(conn: Connection, scope: int | None) -> Distribution:
    """Elevators by grade and by district (of company ``scope`` when given)."""
    cells = await score_repository.fetch_distribution(conn, scope)
    by_grade = dict.fromkeys(GRADE_LETTERS, 0)
    by_district: dict[str, dict[str, int]] = {}
    for cell in cells:
        by_grade[cell.grade] += cell.elevators
        district = by_district.setdefault(cell.district, dict.fromkeys(GRADE_LETTERS, 0))
        district[cell.grade] = cell.elevators
    return Distribution(
        elevators=sum(by_grade.values()), by_grade=by_grade, by_district=by_district, cells=cells
    )


async def maintenance_plan(
    conn: Connection, elevator_id: int, scope: int | None, work_orders: int
) -> MaintenancePlan:
    """Next due date per item level, with reasons, and the recent work orders."""
    await visible_elevator(conn, elevator_id, scope)
    plans = await score_repository.fetch_plans(conn, elevator_id, city_today())
    orders = await work_order_repository.fetch_work_orders(conn, elevator_id, work_orders)
    return MaintenancePlan(elevator_id=elevator_id, plans=plans, work_orders=orders)


async def complete_work_order(
    conn: Connection,
    work_order_id: int,
    completion: Completion,
    scope: int | None,
    now: datetime | None = None,
    grace: timedelta = timedelta(hours=24),
) -> Record:
    """Record the paperless completion of a work order (of company ``scope`` when given).

    No back-dating: the work cannot start before the work order was issued, nor end more
    than ``grace`` before it is recorded (``ScoreSettings.record_grace_h``). The record
    keeps when it was entered, and the on-time indicator judges that too, so a late
    record counts as late whatever times it claims.

    The visit also does every level below its own (TSG T5002), so those plans restart
    from it too, and their pending work orders close with it. The elevator's overdue
    alarm is resolved when no plan of it is past due any more. One transaction.
    """
    at = now or datetime.now(UTC)
    owner = await work_order_repository.fetch_work_order_company(conn, work_order_id)
    if owner is None or not _sees(scope, owner):
        raise WorkOrderNotFound(work_order_id)
    done = completion.checked(at)
    async with conn.transaction():
        order = await work_order_repository.lock_work_order(conn, work_order_id)
        if order is None or not _sees(scope, order.company_id):
            raise WorkOrderNotFound(work_order_id)
        if order.state not in PENDING_STATES:
            raise WorkOrderClosed(work_order_id, order.state)
        done.check_timely(order.created_at, at, grace)
        record_id = await work_order_repository.insert_record(conn, order, done, at)
        covered = levels_covered(order.level)
        await work_order_repository.close_work_orders(
            conn, order.elevator_id, covered, done.ended_at
        )
        await work_order_repository.restart_plans(
            conn, order.elevator_id, covered, done.ended_at, at
        )
        if not await work_order_repository.has_overdue_plan(conn, order.elevator_id, city_date(at)):
            await work_order_repository.resolve_overdue_alarm(conn, order.elevator_id, at)
    record = await work_order_repository.fetch_record(conn, record_id)
    if record is None:
        raise RuntimeError(f"record {record_id} vanished after its insert")
    return record


async def indicator_counts(
    conn: Connection,
    group_by: GroupBy,
    scope: int | None,
    days: int,
    limit: int,
    offset: int,
) -> tuple[list[IndicatorCounts], IndicatorCounts]:
    """A page of the groups' indicator counts and the counts of all the caller's
    elevators over the last ``days`` days."""
    groups, total = await indicator_repository.fetch_indicator_counts(
        conn, group_by, scope, days, city_today(), limit, offset
    )
    if total is None:
        raise RuntimeError("the indicator totals query returned no row")
    return groups, total
