"""维保签到's SQL (async, API connections; the service opens the transactions)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import psycopg
from psycopg.rows import class_row
from psycopg.types.json import Jsonb

from maintenance.checkin import Checkin, PhonePosition, Presence, TechnicianWorkOrder

Conn = psycopg.AsyncConnection[Any]

CHECKIN_COLUMNS = """work_order_id, elevator_id, company_id, technician, start_method,
    started_at, start_code, start_lon, start_lat, start_accuracy_m, start_distance_m,
    start_on_site, finish_method, finished_at, finish_code, finish_lon, finish_lat,
    finish_accuracy_m, finish_distance_m, finish_on_site, items, due_date, on_time,
    record_id"""


@dataclass(frozen=True)
class OrderAtElevator:
    """A work order (locked) with its elevator's position."""

    id: int
    elevator_id: int
    company_id: int
    level: str
    state: str
    due_date: date
    lon: float
    lat: float


async def lock_order(conn: Conn, work_order_id: int) -> OrderAtElevator | None:
    async with conn.cursor(row_factory=class_row(OrderAtElevator)) as cur:
        await cur.execute(
            """SELECT w.id, w.elevator_id, w.company_id, w.level, w.state, w.due_date,
                      e.lon, e.lat
               FROM work_orders w JOIN elevators e ON e.id = w.elevator_id
               WHERE w.id = %s FOR UPDATE OF w""",
            (work_order_id,),
        )
        return await cur.fetchone()


async def get_checkin(conn: Conn, work_order_id: int) -> Checkin | None:
    async with conn.cursor(row_factory=class_row(Checkin)) as cur:
        await cur.execute(
            f"SELECT {CHECKIN_COLUMNS} FROM maintenance_checkins"  # noqa: S608 - fixed text
            " WHERE work_order_id = %s",
            (work_order_id,),
        )
        return await cur.fetchone()


def _where(position: PhonePosition | None) -> tuple[float | None, float | None, float | None]:
    if position is None:
        return None, None, None
    return position.lon, position.lat, position.accuracy_m


async def insert_checkin(
    conn: Conn,
    order: OrderAtElevator,
    technician: str,
    at: datetime,
    presence: Presence,
    code: str | None,
    position: PhonePosition | None,
) -> None:
    """Store the start of the visit and put the work order in progress."""
    lon, lat, accuracy = _where(position)
    await conn.execute(
        """INSERT INTO maintenance_checkins (work_order_id, elevator_id, company_id,
               technician, start_method, started_at, start_code, start_lon, start_lat,
               start_accuracy_m, start_distance_m, start_on_site, due_date)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)""",
        (order.id, order.elevator_id, order.company_id, technician, presence.method, at,
         code, lon, lat, accuracy, presence.distance_m, presence.on_site, order.due_date),
    )  # fmt: skip
    await conn.execute(
        "UPDATE work_orders SET state = 'in_progress' WHERE id = %s AND state = 'open'",
        (order.id,),
    )


@dataclass(frozen=True)
class Finish:
    at: datetime
    presence: Presence
    code: str | None
    position: PhonePosition | None
    items: list[str]
    on_time: bool
    record_id: int


async def finish_checkin(conn: Conn, work_order_id: int, finish: Finish) -> None:
    lon, lat, accuracy = _where(finish.position)
    await conn.execute(
        """UPDATE maintenance_checkins SET finish_method = %s, finished_at = %s,
               finish_code = %s, finish_lon = %s, finish_lat = %s, finish_accuracy_m = %s,
               finish_distance_m = %s, finish_on_site = %s, items = %s, on_time = %s,
               record_id = %s
           WHERE work_order_id = %s""",
        (finish.presence.method, finish.at, finish.code, lon, lat, accuracy,
         finish.presence.distance_m, finish.presence.on_site, Jsonb(finish.items),
         finish.on_time, finish.record_id, work_order_id),
    )  # fmt: skip


async def pending_orders(
    conn: Conn, company_id: int, near: PhonePosition | None, limit: int
) -> list[TechnicianWorkOrder]:
    """The company's open and in-progress work orders: nearest ``near`` first when given,
    then earliest due."""
    lon, lat, _ = _where(near)
    async with conn.cursor(row_factory=class_row(TechnicianWorkOrder)) as cur:
        await cur.execute(
            """SELECT w.id, w.elevator_id, e.code AS elevator_code, e.district, e.address,
                      e.lon, e.lat, w.level, w.due_date, w.state, k.technician, k.started_at
               FROM work_orders w JOIN elevators e ON e.id = w.elevator_id
               LEFT JOIN maintenance_checkins k ON k.work_order_id = w.id
               WHERE w.company_id = %(company)s AND w.state IN ('open', 'in_progress')
               ORDER BY CASE WHEN %(lon)s::float8 IS NULL THEN 0
                        ELSE power((e.lon - %(lon)s) * cos(radians(%(lat)s::float8)), 2)
                             + power(e.lat - %(lat)s, 2) END,
                        w.due_date, w.id
               LIMIT %(limit)s""",
            {"company": company_id, "lon": lon, "lat": lat, "limit": limit},
        )
        return await cur.fetchall()
