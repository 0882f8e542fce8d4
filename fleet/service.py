"""Use cases of the fleet registry: search elevators, an elevator's detail and recent
telemetry within the caller's company scope, and what the demo needs to know of it.

``scope`` is the company whose elevators alone the caller may see (None: every company);
an elevator outside it is reported as not found, so its existence is not revealed.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg

from fleet import elevator_repository as elevators
from fleet import repository
from fleet.errors import ElevatorNotFound
from fleet.model import (
    ElevatorDetail,
    ElevatorQuery,
    ElevatorRecord,
    ElevatorSummary,
    TelemetrySample,
)
from fleet.policy import company_filter

AsyncConn = psycopg.AsyncConnection[Any]

__all__ = [
    "company_filter",
    "elevator_detail",
    "recent_telemetry",
    "search_elevators",
    "visible_elevator",
]


async def search_elevators(
    conn: AsyncConn, query: ElevatorQuery, limit: int, offset: int
) -> list[ElevatorSummary]:
    return await elevators.search_elevators(conn, query, limit, offset)


async def visible_elevator(conn: AsyncConn, elevator_id: int, scope: int | None) -> ElevatorRecord:
    """The elevator's record; :class:`ElevatorNotFound` when missing or out of scope."""
    record = await elevators.find_elevator(conn, elevator_id, scope)
    if record is None:
        raise ElevatorNotFound(elevator_id)
    return record


async def elevator_detail(conn: AsyncConn, elevator_id: int, scope: int | None) -> ElevatorDetail:
    record = await visible_elevator(conn, elevator_id, scope)
    status = await elevators.current_status(conn, elevator_id)
    alarms = await elevators.active_alarms(conn, elevator_id)
    scores = await elevators.optional_rows(conn, "elevator_scores", elevator_id)
    plans = await elevators.optional_rows(conn, "maintenance_plans", elevator_id)
    return ElevatorDetail(record, status, alarms, scores[0] if scores else None, plans)


async def recent_telemetry(
    conn: AsyncConn, elevator_id: int, scope: int | None, minutes: int, limit: int
) -> tuple[datetime, list[TelemetrySample]]:
    """The start of the window and its newest ``limit`` samples, oldest first."""
    await visible_elevator(conn, elevator_id, scope)
    since = datetime.now(UTC) - timedelta(minutes=minutes)
    return since, await elevators.recent_telemetry(conn, elevator_id, since, limit)


def existing_companies(conn: psycopg.Connection[Any], company_ids: list[int]) -> list[int]:
    """Those of ``company_ids`` that are registered, in the order given."""
    known = repository.registered_company_ids(conn, company_ids)
    return [c for c in company_ids if c in known]


def first_rescuer(conn: psycopg.Connection[Any]) -> int | None:
    """The lowest rescuer id, or None when no rescuer is registered."""
    return repository.lowest_rescuer_id(conn)
