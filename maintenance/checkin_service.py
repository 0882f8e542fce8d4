"""维保签到's use cases: the technician's work orders, checking in (start) and checking out
(finish with the checklist). The visit's start and end times are the server's, its
positions the phone's, its distances and on-site flags computed here.

``scope`` is the caller's company: work orders of another company answer "not found".
Checking out closes the work order through :func:`maintenance.service.complete_work_order`
(the paperless record, plans restarted, overdue alarm resolved) in the same transaction.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import psycopg

from domain.geo import haversine_m
from maintenance import checkin_repository as repository
from maintenance.checkin import (
    Checkin,
    PhonePosition,
    Proof,
    TechnicianWorkOrder,
    check_items,
    on_time,
    presence,
)
from maintenance.checkin_items import ChecklistItem, checklist
from maintenance.errors import (
    CheckinConflict,
    NotYourCheckin,
    WorkOrderClosed,
    WorkOrderNotFound,
)
from maintenance.model import PENDING_STATES, Completion
from maintenance.service import complete_work_order

Connection = psycopg.AsyncConnection[Any]


async def work_orders(
    conn: Connection, scope: int, near: PhonePosition | None, limit: int
) -> list[TechnicianWorkOrder]:
    """The company's pending work orders, nearest first when the phone sent a position."""
    orders = await repository.pending_orders(conn, scope, near, limit)
    if near is None:
        return orders
    return [
        replace(o, distance_m=round(haversine_m(near.lon, near.lat, o.lon, o.lat), 1))
        for o in orders
    ]


async def _locked(
    conn: Connection, work_order_id: int, scope: int | None
) -> repository.OrderAtElevator:
    order = await repository.lock_order(conn, work_order_id)
    if order is None or (scope is not None and order.company_id != scope):
        raise WorkOrderNotFound(work_order_id)
    return order


async def get_checkin(conn: Connection, work_order_id: int, scope: int | None) -> Checkin:
    checkin = await repository.get_checkin(conn, work_order_id)
    if checkin is None or (scope is not None and checkin.company_id != scope):
        raise WorkOrderNotFound(work_order_id)
    return checkin


async def check_in(
    conn: Connection,
    work_order_id: int,
    technician: str,
    scope: int | None,
    proof: Proof,
    radius_m: float,
    now: datetime | None = None,
) -> Checkin:
    """Start the visit; a repeat by the same technician returns the first check-in."""
    at = now or datetime.now(UTC)
    async with conn.transaction():
        order = await _locked(conn, work_order_id, scope)
        existing = await repository.get_checkin(conn, work_order_id)
        if existing is not None:
            if existing.technician != technician:
                raise CheckinConflict(
                    f"work order {work_order_id} was checked into by {existing.technician}"
                )
            return existing
        if order.state not in PENDING_STATES:
            raise WorkOrderClosed(work_order_id, order.state)
        found = presence(proof, order.elevator_id, order.lon, order.lat, radius_m)
        code = proof.code.code if proof.code is not None else None
        await repository.insert_checkin(conn, order, technician, at, found, code, proof.position)
    return await get_checkin(conn, work_order_id, scope)


async def check_out(
    conn: Connection,
    work_order_id: int,
    technician: str,
    scope: int | None,
    proof: Proof,
    ticked: list[str],
    findings: str,
    radius_m: float,
    now: datetime | None = None,
) -> Checkin:
    """Finish the visit: presence proven again, every mandatory item ticked; writes the
    maintenance record and closes the work order. A repeat returns the finished one."""
    at = now or datetime.now(UTC)
    async with conn.transaction():
        order = await _locked(conn, work_order_id, scope)
        checkin = await repository.get_checkin(conn, work_order_id)
        if checkin is None:
            raise CheckinConflict(f"work order {work_order_id} is not checked into yet")
        if checkin.technician != technician:
            raise NotYourCheckin(
                f"work order {work_order_id} was checked into by another technician"
            )
        if checkin.finished_at is not None:
            return checkin
        items = check_items(order.level, set(ticked))
        found = presence(proof, order.elevator_id, order.lon, order.lat, radius_m)
        completion = Completion(
            technician=technician,
            started_at=checkin.started_at,
            ended_at=at,
            items=[f"{item.key} {item.name}" for item in items],
            findings=findings,
        )
        record = await complete_work_order(conn, work_order_id, completion, scope, at)
        await repository.finish_checkin(
            conn,
            work_order_id,
            repository.Finish(
                at=at,
                presence=found,
                code=proof.code.code if proof.code is not None else None,
                position=proof.position,
                items=[item.key for item in items],
                on_time=on_time(at, order.due_date),
                record_id=record.id,
            ),
        )
    return await get_checkin(conn, work_order_id, scope)


def items_of(level: str) -> tuple[ChecklistItem, ...]:
    return checklist(level)
