"""The desk's and supervisors' SQL over public reports: sources, dismissals, blocks,
counts by district and kind, the open-data list and one sticker's data (coroutines)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import class_row

from public.model import DisclosureRow, ReportCount, SourceReport, SourceSummary, StickerRow
from public.repository import DISCLOSURE_SELECT

AsyncConn = psycopg.AsyncConnection[Any]


async def source_summaries(conn: AsyncConn, since: datetime, limit: int) -> list[SourceSummary]:
    """Client addresses by number of reports since ``since``, busiest first."""
    cur = conn.cursor(row_factory=class_row(SourceSummary))
    await cur.execute(
        """SELECT r.source, count(*)::integer AS reports,
                  count(*) FILTER (WHERE r.kind = 'entrapment')::integer AS entrapments,
                  count(DISTINCT r.elevator_id)::integer AS elevators,
                  count(r.dismissed_at)::integer AS dismissed,
                  min(r.reported_at) AS first_at, max(r.reported_at) AS last_at,
                  EXISTS (SELECT 1 FROM public_blocked_sources b WHERE b.source = r.source)
                      AS blocked
           FROM public_reports r WHERE r.reported_at >= %s
           GROUP BY r.source ORDER BY count(*) DESC, r.source LIMIT %s""",
        (since, limit),
    )
    return await cur.fetchall()


async def source_reports(
    conn: AsyncConn, source: str | None, since: datetime, limit: int
) -> list[SourceReport]:
    cur = conn.cursor(row_factory=class_row(SourceReport))
    await cur.execute(
        """SELECT r.id, r.source, r.elevator_id, e.code AS registration_code, r.kind,
                  r.category, r.stale_code, r.reported_at, r.case_id, r.ticket_id,
                  r.dismissed_at IS NOT NULL AS dismissed
           FROM public_reports r JOIN elevators e ON e.id = r.elevator_id
           WHERE r.reported_at >= %(since)s
             AND (%(source)s::text IS NULL OR r.source = %(source)s)
           ORDER BY r.reported_at DESC, r.id DESC LIMIT %(limit)s""",
        {"since": since, "source": source, "limit": limit},
    )
    return await cur.fetchall()


async def dismiss_report(conn: AsyncConn, report_id: int, by: str, at: datetime) -> bool:
    """Mark a report a prank; its ticket is dismissed when no live report remains."""
    cur = await conn.execute(
        """UPDATE public_reports SET dismissed_at = %s, dismissed_by = %s
           WHERE id = %s AND dismissed_at IS NULL RETURNING ticket_id""",
        (at, by, report_id),
    )
    row = await cur.fetchone()
    if row is None:
        return False
    if row[0] is not None:
        await conn.execute(
            """UPDATE public_tickets t SET state = 'dismissed'
               WHERE t.id = %s AND t.state = 'open' AND NOT EXISTS (
                   SELECT 1 FROM public_reports r
                   WHERE r.ticket_id = t.id AND r.dismissed_at IS NULL)""",
            (row[0],),
        )
    return True


async def report_exists(conn: AsyncConn, report_id: int) -> bool:
    cur = await conn.execute("SELECT 1 FROM public_reports WHERE id = %s", (report_id,))
    return await cur.fetchone() is not None


async def block_source(conn: AsyncConn, source: str, by: str, reason: str) -> None:
    await conn.execute(
        """INSERT INTO public_blocked_sources (source, blocked_by, reason) VALUES (%s, %s, %s)
           ON CONFLICT (source) DO UPDATE SET blocked_by = EXCLUDED.blocked_by,
               reason = EXCLUDED.reason, blocked_at = now()""",
        (source, by, reason),
    )


async def unblock_source(conn: AsyncConn, source: str) -> bool:
    cur = await conn.execute("DELETE FROM public_blocked_sources WHERE source = %s", (source,))
    return cur.rowcount == 1


async def report_counts(conn: AsyncConn, since: datetime) -> list[ReportCount]:
    """Reports since ``since`` by district and kind (the indicators)."""
    cur = conn.cursor(row_factory=class_row(ReportCount))
    await cur.execute(
        """SELECT e.district, r.kind, count(*)::integer AS reports,
                  count(r.dismissed_at)::integer AS dismissed
           FROM public_reports r JOIN elevators e ON e.id = r.elevator_id
           WHERE r.reported_at >= %s GROUP BY e.district, r.kind ORDER BY e.district, r.kind""",
        (since,),
    )
    return await cur.fetchall()


async def disclosures(
    conn: AsyncConn, district: str | None, company: int | None
) -> list[DisclosureRow]:
    cur = conn.cursor(row_factory=class_row(DisclosureRow))
    await cur.execute(
        DISCLOSURE_SELECT
        + """ WHERE (%(district)s::text IS NULL OR e.district = %(district)s)
              AND (%(company)s::integer IS NULL OR e.company_id = %(company)s)
            ORDER BY e.id""",
        {"district": district, "company": company},
    )
    return await cur.fetchall()


async def ensure_code(conn: AsyncConn, elevator_id: int, fresh: str) -> None:
    """Give the elevator ``fresh`` as its code unless it has a current one."""
    await conn.execute(
        """INSERT INTO public_codes (code, elevator_id)
           SELECT %s, id FROM elevators WHERE id = %s
           ON CONFLICT (elevator_id) WHERE retired_at IS NULL DO NOTHING""",
        (fresh, elevator_id),
    )


async def sticker_row(conn: AsyncConn, elevator_id: int, company: int | None) -> StickerRow | None:
    cur = conn.cursor(row_factory=class_row(StickerRow))
    await cur.execute(
        """SELECT e.id AS elevator_id, e.code AS registration_code, e.district, e.address,
                  c.duty_phone AS company_phone, p.code
           FROM elevators e JOIN maintenance_companies c ON c.id = e.company_id
           JOIN public_codes p ON p.elevator_id = e.id AND p.retired_at IS NULL
           WHERE e.id = %(id)s AND (%(company)s::integer IS NULL OR e.company_id = %(company)s)""",
        {"id": elevator_id, "company": company},
    )
    return await cur.fetchone()
