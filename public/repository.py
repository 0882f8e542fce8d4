"""The public pages' SQL: codes, the disclosure record, reports, tickets, progress.

Coroutines serve the API (pool connections in autocommit mode; the service opens the
transactions); the sync functions in :mod:`public.code_repository` serve the CLI.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import class_row, dict_row

from public.model import (
    CodeRef,
    DisclosureRow,
    NewReport,
    ReportProgress,
    RescueView,
    Ticket,
)

AsyncConn = psycopg.AsyncConnection[Any]

ACTIVE_CASE_STATES = ("reported", "offered", "accepted", "en_route", "on_site")
# The city's zone (domain.localtime.CITY_TZ_NAME) for the last maintenance date.
TICKET_LOCK_CLASS = 7001  # pg_advisory_xact_lock(class, elevator id): one writer per elevator

DISCLOSURE_SELECT = """
SELECT e.id AS elevator_id, e.code AS registration_code, e.district, e.address,
       e.building_type, u.name AS user_unit, u.safety_officer_name, u.safety_officer_phone,
       e.company_id, c.name AS company_name, c.duty_phone AS company_phone,
       (SELECT (max(r.ended_at) AT TIME ZONE 'Asia/Shanghai')::date
          FROM maintenance_records r WHERE r.elevator_id = e.id) AS last_maintenance,
       (SELECT min(p.next_due) FROM maintenance_plans p WHERE p.elevator_id = e.id)
           AS next_maintenance_due,
       e.inspection_valid_until, e.insurance_expiry,
       (SELECT s.grade::text FROM elevator_scores s WHERE s.elevator_id = e.id) AS grade,
       e.in_service, st.mode::integer AS mode,
       EXISTS (SELECT 1 FROM rescue_cases k WHERE k.elevator_id = e.id
               AND k.state IN ('reported', 'offered', 'accepted', 'en_route', 'on_site'))
           AS rescue_active,
       EXISTS (SELECT 1 FROM work_orders w WHERE w.elevator_id = e.id
               AND w.state = 'in_progress') AS maintenance_active
FROM elevators e
JOIN maintenance_companies c ON c.id = e.company_id
LEFT JOIN user_units u ON u.id = e.user_unit_id
LEFT JOIN elevator_status st ON st.elevator_id = e.id"""

TICKET_SELECT = """
SELECT t.id, t.elevator_id, e.code AS registration_code, e.district, t.company_id, t.kind,
       t.category, t.description, t.opened_at, t.due_at, t.state, t.reports, t.answer,
       t.answered_at, t.answered_by
FROM public_tickets t JOIN elevators e ON e.id = t.elevator_id"""


async def resolve_code(conn: AsyncConn, code: str) -> CodeRef | None:
    cur = conn.cursor(row_factory=class_row(CodeRef))
    await cur.execute(
        "SELECT p.code, p.elevator_id, e.code AS registration_code,"
        " p.retired_at IS NULL AS current"
        " FROM public_codes p JOIN elevators e ON e.id = p.elevator_id WHERE p.code = %s",
        (code,),
    )
    return await cur.fetchone()


async def disclosure(conn: AsyncConn, elevator_id: int) -> DisclosureRow | None:
    cur = conn.cursor(row_factory=class_row(DisclosureRow))
    await cur.execute(DISCLOSURE_SELECT + " WHERE e.id = %s", (elevator_id,))
    return await cur.fetchone()


async def is_blocked(conn: AsyncConn, source: str) -> bool:
    cur = await conn.execute("SELECT 1 FROM public_blocked_sources WHERE source = %s", (source,))
    return await cur.fetchone() is not None


async def lock_elevator(conn: AsyncConn, elevator_id: int) -> None:
    """Serialise ticket writes of one elevator until the transaction ends."""
    await conn.execute("SELECT pg_advisory_xact_lock(%s, %s)", (TICKET_LOCK_CLASS, elevator_id))


async def open_tickets(conn: AsyncConn, elevator_id: int) -> list[tuple[int, str]]:
    """The elevator's open tickets (id, kind), newest first."""
    cur = await conn.execute(
        "SELECT id, kind FROM public_tickets WHERE elevator_id = %s AND state = 'open'"
        " ORDER BY opened_at DESC, id DESC",
        (elevator_id,),
    )
    return [(int(r[0]), str(r[1])) for r in await cur.fetchall()]


async def insert_ticket(
    conn: AsyncConn, elevator_id: int, report: NewReport, opened_at: datetime, due_at: datetime
) -> int:
    cur = await conn.execute(
        """INSERT INTO public_tickets (elevator_id, company_id, kind, category, description,
               opened_at, due_at)
           SELECT id, company_id, %s, %s, %s, %s, %s FROM elevators WHERE id = %s
           RETURNING id""",
        (
            report.kind.value,
            report.category,
            report.description,
            opened_at,
            due_at,
            elevator_id,
        ),
    )
    row = await cur.fetchone()
    assert row is not None
    return int(row[0])


async def join_ticket(conn: AsyncConn, ticket_id: int) -> None:
    await conn.execute(
        "UPDATE public_tickets SET reports = reports + 1 WHERE id = %s", (ticket_id,)
    )


async def insert_report(
    conn: AsyncConn,
    code: CodeRef,
    report: NewReport,
    *,
    token: str,
    at: datetime,
    case_id: int | None = None,
    ticket_id: int | None = None,
) -> int:
    cur = await conn.execute(
        """INSERT INTO public_reports (token, elevator_id, code, stale_code, kind, category,
               description, phone, source, reported_at, case_id, ticket_id)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id""",
        (
            token,
            code.elevator_id,
            code.code,
            not code.current,
            report.kind.value,
            report.category,
            report.description,
            report.phone,
            report.source,
            at,
            case_id,
            ticket_id,
        ),
    )
    row = await cur.fetchone()
    assert row is not None
    return int(row[0])


_PROGRESS = """
SELECT r.kind, r.category, r.reported_at, e.code AS registration_code, r.stale_code,
       r.dismissed_at IS NOT NULL AS dismissed,
       k.state AS case_state, k.reported_at AS case_reported_at, k.accepted_at,
       k.arrived_at, k.released_at,
       (SELECT coalesce(o.answered_at, k.accepted_at) + make_interval(secs => o.eta_s)
          FROM dispatch_offers o WHERE o.case_id = k.id AND o.state = 'accepted'
          ORDER BY o.answered_at DESC NULLS LAST LIMIT 1) AS eta_at,
       t.state AS ticket_state, t.due_at AS ticket_due_at, t.answer, t.answered_at
FROM public_reports r
JOIN elevators e ON e.id = r.elevator_id
LEFT JOIN rescue_cases k ON k.id = r.case_id
LEFT JOIN public_tickets t ON t.id = r.ticket_id
WHERE r.token = %s"""


async def report_progress(conn: AsyncConn, token: str) -> ReportProgress | None:
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(_PROGRESS, (token,))
    row = await cur.fetchone()
    if row is None:
        return None
    rescue = None
    if row["case_state"] is not None:
        rescue = RescueView(
            state=row["case_state"],
            reported_at=row["case_reported_at"],
            accepted_at=row["accepted_at"],
            eta_at=row["eta_at"],
            arrived_at=row["arrived_at"],
            released_at=row["released_at"],
        )
    return ReportProgress(
        kind=row["kind"],
        category=row["category"],
        reported_at=row["reported_at"],
        registration_code=row["registration_code"],
        stale_code=row["stale_code"],
        dismissed=row["dismissed"],
        rescue=rescue,
        ticket_state=row["ticket_state"],
        ticket_due_at=row["ticket_due_at"],
        answer=row["answer"] or "",
        answered_at=row["answered_at"],
    )


async def list_tickets(
    conn: AsyncConn, company: int | None, state: str | None, limit: int, offset: int
) -> list[Ticket]:
    cur = conn.cursor(row_factory=class_row(Ticket))
    await cur.execute(
        TICKET_SELECT
        + """ WHERE (%(company)s::integer IS NULL OR t.company_id = %(company)s)
              AND (%(state)s::text IS NULL OR t.state = %(state)s)
            ORDER BY t.opened_at DESC, t.id DESC LIMIT %(limit)s OFFSET %(offset)s""",
        {"company": company, "state": state, "limit": limit, "offset": offset},
    )
    return await cur.fetchall()


async def get_ticket(conn: AsyncConn, ticket_id: int, company: int | None) -> Ticket | None:
    cur = conn.cursor(row_factory=class_row(Ticket))
    await cur.execute(
        TICKET_SELECT
        + " WHERE t.id = %(id)s AND (%(company)s::integer IS NULL OR t.company_id = %(company)s)",
        {"id": ticket_id, "company": company},
    )
    return await cur.fetchone()


async def answer_ticket(
    conn: AsyncConn, ticket_id: int, answer: str, by: str, at: datetime
) -> bool:
    cur = await conn.execute(
        """UPDATE public_tickets SET state = 'answered', answer = %s, answered_by = %s,
               answered_at = %s WHERE id = %s AND state = 'open'""",
        (answer, by, at, ticket_id),
    )
    return cur.rowcount == 1
