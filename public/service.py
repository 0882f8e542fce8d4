"""Use cases of the public pages (API side): the page, reports, progress, tickets and the
desk's view of report sources. Each takes a pool connection; writes that must hang
together run in one transaction.

An entrapment report opens or joins the elevator's rescue case through ``open_case``, the
same intake as a 96333 call; this package does not import the rescue engine itself.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import date, datetime

from public import desk_repository as desk_repo
from public import repository as repo
from public.config import PublicSettings
from public.errors import SourceBlocked, TicketClosed, UnknownCode, UnknownReport
from public.model import (
    CodeRef,
    NewReport,
    PublicElevator,
    ReportCount,
    ReportKind,
    ReportProgress,
    ReportReceipt,
    SourceReport,
    SourceSummary,
    StickerRow,
    Ticket,
)
from public.policy import answer_due, check_category, disclose, new_code, new_token, valid_code

# (registration code, caller phone, reporter's note) -> the case opened or joined
OpenCase = Callable[[str, str, str], Awaitable[int]]
AsyncConn = repo.AsyncConn


async def resolve(conn: AsyncConn, code: str) -> CodeRef:
    if not valid_code(code):
        raise UnknownCode()
    ref = await repo.resolve_code(conn, code)
    if ref is None:
        raise UnknownCode()
    return ref


async def page(conn: AsyncConn, code: str, today: date) -> tuple[PublicElevator, CodeRef]:
    """The elevator's posted record behind a scanned code (old codes still resolve)."""
    ref = await resolve(conn, code)
    row = await repo.disclosure(conn, ref.elevator_id)
    if row is None:
        raise UnknownCode()
    return disclose(row, today), ref


async def submit_report(
    conn: AsyncConn,
    code: str,
    report: NewReport,
    *,
    now: datetime,
    settings: PublicSettings,
    open_case: OpenCase,
) -> ReportReceipt:
    """A passenger's report: entrapment -> the rescue case; fault/complaint -> a ticket
    (a new one while the elevator has fewer open ones than the cap, else the newest)."""
    ref = await resolve(conn, code)
    if await repo.is_blocked(conn, report.source):
        raise SourceBlocked()
    report = replace(report, category=check_category(report.kind, report.category))
    token = new_token()
    if report.kind is ReportKind.ENTRAPMENT:
        note = f"public report (QR page){'; old sticker code' if not ref.current else ''}"
        case_id = await open_case(ref.registration_code, report.phone, note)
        await repo.insert_report(conn, ref, report, token=token, at=now, case_id=case_id)
        return ReportReceipt(token, report.kind, case_id, None, not ref.current)
    async with conn.transaction():
        await repo.lock_elevator(conn, ref.elevator_id)
        ticket_id = await _ticket_for(conn, ref.elevator_id, report, now, settings)
        await repo.insert_report(conn, ref, report, token=token, at=now, ticket_id=ticket_id)
    return ReportReceipt(token, report.kind, None, ticket_id, not ref.current)


async def _ticket_for(
    conn: AsyncConn, elevator_id: int, report: NewReport, now: datetime, settings: PublicSettings
) -> int:
    open_now = await repo.open_tickets(conn, elevator_id)
    if len(open_now) < settings.open_tickets_per_elevator:
        due = answer_due(report.kind, now, settings)
        return await repo.insert_ticket(conn, elevator_id, report, now, due)
    same_kind = [ticket for ticket, kind in open_now if kind == report.kind.value]
    joined = same_kind[0] if same_kind else open_now[0][0]
    await repo.join_ticket(conn, joined)
    return joined


async def progress(conn: AsyncConn, token: str) -> ReportProgress:
    found = await repo.report_progress(conn, token) if len(token) <= 64 else None
    if found is None:
        raise UnknownReport("unknown report link / 未找到该报告")
    return found


async def tickets(
    conn: AsyncConn, company: int | None, state: str | None, limit: int, offset: int
) -> list[Ticket]:
    return await repo.list_tickets(conn, company, state, limit, offset)


async def answer_ticket(
    conn: AsyncConn, ticket_id: int, company: int | None, answer: str, by: str, at: datetime
) -> Ticket:
    """The company's answer; the reporter's link shows it."""
    async with conn.transaction():
        ticket = await repo.get_ticket(conn, ticket_id, company)
        if ticket is None:
            raise UnknownReport(f"ticket {ticket_id} not found")
        if not await repo.answer_ticket(conn, ticket_id, answer, by, at):
            raise TicketClosed(f"ticket {ticket_id} is {ticket.state} already")
        answered = await repo.get_ticket(conn, ticket_id, company)
    assert answered is not None
    return answered


async def sources(conn: AsyncConn, since: datetime, limit: int) -> list[SourceSummary]:
    return await desk_repo.source_summaries(conn, since, limit)


async def reports_of(
    conn: AsyncConn, source: str | None, since: datetime, limit: int
) -> list[SourceReport]:
    return await desk_repo.source_reports(conn, source, since, limit)


async def dismiss(conn: AsyncConn, report_id: int, by: str, at: datetime) -> None:
    async with conn.transaction():
        done = await desk_repo.dismiss_report(conn, report_id, by, at)
        if not done and not await desk_repo.report_exists(conn, report_id):
            raise UnknownReport(f"report {report_id} not found")


async def block(conn: AsyncConn, source: str, by: str, reason: str) -> None:
    await desk_repo.block_source(conn, source, by, reason)


async def unblock(conn: AsyncConn, source: str) -> None:
    if not await desk_repo.unblock_source(conn, source):
        raise UnknownReport(f"source {source} is not blocked")


async def counts(conn: AsyncConn, since: datetime) -> list[ReportCount]:
    return await desk_repo.report_counts(conn, since)


async def disclosure_list(
    conn: AsyncConn, district: str | None, company: int | None, today: date
) -> list[PublicElevator]:
    rows = await desk_repo.disclosures(conn, district, company)
    return [disclose(row, today) for row in rows]


async def sticker(conn: AsyncConn, elevator_id: int, company: int | None) -> StickerRow:
    """The sticker's data; an elevator without a code gets its first one."""
    await desk_repo.ensure_code(conn, elevator_id, new_code())
    row = await desk_repo.sticker_row(conn, elevator_id, company)
    if row is None:
        raise UnknownReport(f"elevator {elevator_id} not found")
    return row
