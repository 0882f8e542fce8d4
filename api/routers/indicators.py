"""Supervisor indicators by district or by maintenance company: fault rate, monthly
entrapment rate, insurance coverage against the 92 % target, maintenance on time and
overdue elevators. Rescue indicators (arrival times, 30-minute share) are served by the
dispatch part at /api/v1/rescue/indicators."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from api.deps import Db, company_scope, require_roles
from api.pagination import Page, Paging, make_page
from api.security import Principal, Role
from domain.localtime import CITY_TZ_NAME, city_today
from fleet.map_repository import NOT_FAULTS, table_exists

router = APIRouter(prefix="/api/v1/indicators", tags=["indicators"])

Reader = Annotated[Principal, Depends(require_roles(Role.SUPERVISOR, Role.COMPANY))]
INSURANCE_TARGET_PCT = 92.0


class GroupBy(StrEnum):
    DISTRICT = "district"
    COMPANY = "company"


class IndicatorRow(BaseModel):
    key: str
    name: str
    elevators: int  # in use
    faults: int
    fault_rate_pct: float  # faults / elevators in use x 100 %, over the period
    entrapments: int
    entrapment_rate_monthly_pct: float  # per 30 days
    insured: int
    insurance_coverage_pct: float
    insurance_target_met: bool
    maintenance_records: int
    maintenance_on_time_pct: float | None  # records finished by their due date
    overdue_elevators: int | None  # None: no maintenance plans yet


class Indicators(BaseModel):
    group_by: GroupBy
    days: int
    insurance_target_pct: float
    total: IndicatorRow
    groups: Page[IndicatorRow]


_KEYS = {
    GroupBy.DISTRICT: ("e.district", "e.district"),
    GroupBy.COMPANY: ("e.company_id::text", "c.name"),
}


def _pct(part: float, whole: float) -> float:
    return round(100.0 * part / whole, 3) if whole else 0.0


def _row(r: Any, days: int) -> IndicatorRow:
    elevators, faults, entrapments, insured = int(r[2]), int(r[3]), int(r[4]), int(r[5])
    records, with_due, on_time = int(r[6]), int(r[7]), int(r[8])
    return IndicatorRow(
        key=str(r[0]),
        name=str(r[1]),
        elevators=elevators,
        faults=faults,
        fault_rate_pct=_pct(faults, elevators),
        entrapments=entrapments,
        entrapment_rate_monthly_pct=round(_pct(entrapments, elevators) * 30.0 / days, 4),
        insured=insured,
        insurance_coverage_pct=_pct(insured, elevators),
        insurance_target_met=_pct(insured, elevators) >= INSURANCE_TARGET_PCT,
        maintenance_records=records,
        maintenance_on_time_pct=_pct(on_time, with_due) if with_due else None,
        overdue_elevators=None if r[9] is None else int(r[9]),
    )


@router.get("", response_model=Indicators)
async def indicators(
    db: Db,
    principal: Reader,
    paging: Paging,
    group_by: GroupBy = GroupBy.DISTRICT,
    days: Annotated[int, Query(ge=1, le=366, description="period: the last N days")] = 30,
) -> Indicators:
    """A company user gets the indicators of its own elevators only."""
    scope = company_scope(principal)
    plans = await table_exists(db, "maintenance_plans")
    overdue_cte = (
        "SELECT DISTINCT elevator_id FROM maintenance_plans WHERE next_due < %(today)s"
        if plans
        else "SELECT NULL::integer AS elevator_id WHERE false"
    )
    overdue_col = "count(o.elevator_id)" if plans else "NULL::bigint"
    key, name = _KEYS[group_by]
    sql = f"""
        WITH e AS (
            SELECT id, district, company_id, insurance_expiry FROM elevators e
            WHERE in_service AND (%(scope)s::integer IS NULL OR company_id = %(scope)s)),
        f AS (
            SELECT elevator_id,
                   count(*) FILTER (WHERE NOT (type = ANY(%(not_faults)s))) AS faults,
                   count(*) FILTER (WHERE type = 'entrapment') AS entrapments
            FROM alarms WHERE opened_at >= now() - make_interval(days => %(days)s)
            GROUP BY elevator_id),
        m AS (
            SELECT elevator_id, count(*) AS records,
                   count(*) FILTER (WHERE due_date IS NOT NULL) AS with_due,
                   count(*) FILTER (WHERE due_date IS NOT NULL
                                    AND (ended_at AT TIME ZONE %(tz)s)::date <= due_date) AS on_time
            FROM maintenance_records
            WHERE ended_at >= now() - make_interval(days => %(days)s)
            GROUP BY elevator_id),
        o AS ({overdue_cte})
        SELECT {{key}}, {{name}}, count(*), COALESCE(sum(f.faults), 0),
               COALESCE(sum(f.entrapments), 0),
               count(*) FILTER (WHERE e.insurance_expiry >= %(today)s),
               COALESCE(sum(m.records), 0), COALESCE(sum(m.with_due), 0),
               COALESCE(sum(m.on_time), 0), {overdue_col}
        FROM e JOIN maintenance_companies c ON c.id = e.company_id
        LEFT JOIN f ON f.elevator_id = e.id
        LEFT JOIN m ON m.elevator_id = e.id
        LEFT JOIN o ON o.elevator_id = e.id
        {{group}}"""  # noqa: S608
    params = {
        "scope": scope,
        "not_faults": list(NOT_FAULTS),
        "days": days,
        "limit": paging.limit + 1,
        "offset": paging.offset,
        "today": city_today(),
        "tz": CITY_TZ_NAME,
    }
    grouped = sql.format(
        key=key,
        name=f"min({name})",
        group=f"GROUP BY {key} ORDER BY {key} LIMIT %(limit)s OFFSET %(offset)s",
    )
    cur = await db.execute(grouped, params)
    rows = [_row(r, days) for r in await cur.fetchall()]
    cur = await db.execute(sql.format(key="'all'", name="'all'", group=""), params)
    total = await cur.fetchone()
    return Indicators(
        group_by=group_by,
        days=days,
        insurance_target_pct=INSURANCE_TARGET_PCT,
        total=_row(total, days),
        groups=make_page(rows, paging),
    )
