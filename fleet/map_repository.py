"""Queries that feed the API's in-memory map index: positions of every elevator and the
flags its map status is derived from (active alarms, presence, score grade, plan due).

Tables of other parts (``elevator_scores``, ``maintenance_plans``) are used when they
exist (``to_regclass``), so the map works before those parts are deployed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import psycopg
from psycopg.rows import scalar_row

from domain.alarms import AlarmType
from domain.localtime import city_today

RESCUE_ALARMS = (AlarmType.ENTRAPMENT.value, AlarmType.ALARM_BUTTON.value)
# Alarm types that are not a fault of the elevator itself.
NOT_FAULTS = (
    *RESCUE_ALARMS,
    AlarmType.TERMINAL_OFFLINE.value,
    AlarmType.ANOMALY.value,
    AlarmType.MAINTENANCE_OVERDUE.value,
)

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class FleetPositions:
    ids: npt.NDArray[np.int32]  # sorted
    lon: npt.NDArray[np.float64]
    lat: npt.NDArray[np.float64]
    company: npt.NDArray[np.int32]
    district: npt.NDArray[np.int16]  # index into districts
    districts: list[str]


@dataclass(frozen=True)
class StatusFlags:
    """Elevator ids (sorted, unique) carrying each flag."""

    entrapment: IntArray
    fault: IntArray
    offline: IntArray
    high_risk: IntArray
    maintenance_due: IntArray


async def _scalars(conn: psycopg.AsyncConnection[Any], query: str, params: Any = None) -> list[Any]:
    """The first column of every row of ``query``."""
    async with conn.cursor(row_factory=scalar_row) as cur:
        await cur.execute(query, params)
        return await cur.fetchall()


async def table_exists(conn: psycopg.AsyncConnection[Any], name: str) -> bool:
    return await _scalars(conn, "SELECT to_regclass(%s) IS NOT NULL", (name,)) == [True]


async def fleet_fingerprint(conn: psycopg.AsyncConnection[Any]) -> tuple[int, ...]:
    """Changes whenever an elevator is added, removed, moved or changes company/district."""
    cur = await conn.execute(
        """SELECT count(*), COALESCE(max(id), 0),
                  COALESCE(sum(round(lon * 1e6)::bigint), 0),
                  COALESCE(sum(round(lat * 1e6)::bigint), 0),
                  COALESCE(sum(company_id::bigint * (id % 1000 + 1)), 0),
                  COALESCE(sum(hashtext(district)::bigint), 0)
           FROM elevators"""
    )
    row = await cur.fetchone()
    assert row is not None
    return tuple(int(v) for v in row)


async def load_positions(conn: psycopg.AsyncConnection[Any]) -> FleetPositions:
    query = "SELECT DISTINCT district FROM elevators ORDER BY district"
    districts = [str(d) for d in await _scalars(conn, query)]
    number = {d: i for i, d in enumerate(districts)}
    ids: list[int] = []
    lon: list[float] = []
    lat: list[float] = []
    company: list[int] = []
    district: list[int] = []
    cur = conn.cursor()
    async with cur.copy(
        "COPY (SELECT id, lon, lat, company_id, district FROM elevators ORDER BY id) TO STDOUT"
    ) as copy:
        async for elevator_id, x, y, company_id, district_name in copy.rows():
            ids.append(int(elevator_id))
            lon.append(float(x))
            lat.append(float(y))
            company.append(int(company_id))
            district.append(number[district_name])
    return FleetPositions(
        ids=np.asarray(ids, dtype=np.int32),
        lon=np.asarray(lon, dtype=np.float64),
        lat=np.asarray(lat, dtype=np.float64),
        company=np.asarray(company, dtype=np.int32),
        district=np.asarray(district, dtype=np.int16),
        districts=districts,
    )


async def load_flags(
    conn: psycopg.AsyncConnection[Any],
    high_risk_grades: list[str],
    only: list[int] | None = None,
) -> StatusFlags:
    """The flags of every elevator, or of the elevators ``only`` (an incremental refresh)."""
    scope = "" if only is None else " AND elevator_id = ANY(%(only)s)"
    params: dict[str, Any] = {
        "rescue": list(RESCUE_ALARMS),
        "not_faults": list(NOT_FAULTS),
        "offline": AlarmType.TERMINAL_OFFLINE.value,
        "grades": high_risk_grades,
        "only": only,
        "today": city_today(),
    }
    active = "state IN ('open', 'acknowledged', 'in_progress')"

    async def ids(sql: str) -> IntArray:
        return np.unique(np.asarray(await _scalars(conn, sql, params), dtype=np.int64))

    entrapment = await ids(
        f"SELECT elevator_id FROM alarms WHERE {active} AND type = ANY(%(rescue)s){scope}"  # noqa: S608
    )
    fault = await ids(
        f"SELECT elevator_id FROM alarms WHERE {active}"  # noqa: S608
        f" AND NOT (type = ANY(%(not_faults)s)){scope}"
    )
    offline = await ids(
        f"SELECT elevator_id FROM elevator_status WHERE NOT online{scope}"  # noqa: S608
        " UNION SELECT elevator_id FROM alarms"
        f" WHERE {active} AND type = %(offline)s{scope}"
    )
    empty = np.zeros(0, dtype=np.int64)
    high_risk = empty
    if high_risk_grades and await table_exists(conn, "elevator_scores"):
        high_risk = await ids(
            f"SELECT elevator_id FROM elevator_scores WHERE grade = ANY(%(grades)s){scope}"  # noqa: S608
        )
    due = empty
    if await table_exists(conn, "maintenance_plans"):
        due = await ids(
            "SELECT elevator_id FROM maintenance_plans"  # noqa: S608
            f" WHERE next_due <= %(today)s{scope}"
        )
    return StatusFlags(entrapment, fault, offline, high_risk, due)
