"""Webhook subscriptions of maintenance companies and their delivery log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import psycopg
from psycopg.rows import class_row

from rescue.model import Webhook


@dataclass(frozen=True)
class Delivery:
    id: int
    subscription_id: int
    url: str
    secret: str
    event: str
    body: str
    attempts: int


def enqueue(
    conn: psycopg.Connection[Any],
    company_id: int,
    case_id: int | None,
    event: str,
    body: str,
    at: datetime,
) -> int:
    """Queue one delivery per active subscription of the company (in the caller's txn)."""
    cur = conn.execute(
        """INSERT INTO webhook_deliveries (subscription_id, case_id, event, body, created_at,
                                           next_attempt_at)
           SELECT id, %s, %s, %s, %s, %s FROM webhook_subscriptions
           WHERE company_id = %s AND active""",
        (case_id, event, body, at, at, company_id),
    )
    return cur.rowcount


def claim_due(
    conn: psycopg.Connection[Any], now: datetime, lease_s: float, limit: int = 20
) -> list[Delivery]:
    """Take due deliveries for this worker: pushed ``lease_s`` ahead so that no other
    worker takes them while they are being sent (SKIP LOCKED)."""
    with conn.transaction(), conn.cursor(row_factory=class_row(Delivery)) as cur:
        return cur.execute(
            """WITH due AS (
                   SELECT d.id FROM webhook_deliveries d
                   WHERE d.status = 'pending' AND d.next_attempt_at <= %s
                   ORDER BY d.next_attempt_at LIMIT %s FOR UPDATE SKIP LOCKED)
               UPDATE webhook_deliveries d SET next_attempt_at = %s
               FROM due, webhook_subscriptions s
               WHERE d.id = due.id AND s.id = d.subscription_id
               RETURNING d.id, d.subscription_id, s.url, s.secret, d.event, d.body, d.attempts""",
            (now, limit, now + timedelta(seconds=lease_s)),
        ).fetchall()


def record_attempt(
    conn: psycopg.Connection[Any],
    delivery_id: int,
    *,
    at: datetime,
    ok: bool,
    response_code: int | None,
    error: str,
    next_attempt_at: datetime | None,
) -> None:
    """Log an attempt: delivered, retried at ``next_attempt_at``, or failed for good."""
    status = "delivered" if ok else ("pending" if next_attempt_at is not None else "failed")
    conn.execute(
        """UPDATE webhook_deliveries
           SET attempts = attempts + 1, last_attempt_at = %s, response_code = %s,
               last_error = %s, status = %s, next_attempt_at = COALESCE(%s, next_attempt_at)
           WHERE id = %s""",
        (at, response_code, error[:500], status, next_attempt_at, delivery_id),
    )


# -- subscriptions (the API, asynchronous) ------------------------------------------------

_WEBHOOK_COLUMNS = "id, company_id, url, active, created_at"


async def list_subscriptions(
    conn: psycopg.AsyncConnection[Any], company_id: int | None
) -> list[Webhook]:
    """Subscriptions of one company, or of all (None), in creation order."""
    async with conn.cursor(row_factory=class_row(Webhook)) as cur:
        await cur.execute(
            f"""SELECT {_WEBHOOK_COLUMNS} FROM webhook_subscriptions
                WHERE %(c)s::integer IS NULL OR company_id = %(c)s ORDER BY id""",  # noqa: S608
            {"c": company_id},
        )
        return await cur.fetchall()


async def add_subscription(
    conn: psycopg.AsyncConnection[Any], company_id: int, url: str, secret: str, limit: int
) -> Webhook | None:
    """Subscribe, unless the company has ``limit`` subscriptions already (None); raises
    psycopg's UniqueViolation (URL taken) or ForeignKeyViolation. The company's row is
    locked meanwhile, so concurrent subscriptions cannot overshoot the limit."""
    async with conn.transaction(), conn.cursor(row_factory=class_row(Webhook)) as cur:
        await cur.execute(
            "SELECT 1 FROM maintenance_companies WHERE id = %s FOR UPDATE", (company_id,)
        )
        await cur.execute(
            f"""INSERT INTO webhook_subscriptions (company_id, url, secret)
                SELECT %(c)s, %(url)s, %(secret)s
                WHERE (SELECT count(*) FROM webhook_subscriptions WHERE company_id = %(c)s)
                      < %(limit)s
                RETURNING {_WEBHOOK_COLUMNS}""",  # noqa: S608 - fixed text
            {"c": company_id, "url": url, "secret": secret, "limit": limit},
        )
        return await cur.fetchone()


async def remove_subscription(
    conn: psycopg.AsyncConnection[Any], webhook_id: int, company_id: int | None
) -> bool:
    """Delete a subscription (of the company, if given); False if there was none."""
    cur = await conn.execute(
        """DELETE FROM webhook_subscriptions
           WHERE id = %(id)s AND (%(c)s::integer IS NULL OR company_id = %(c)s)""",
        {"id": webhook_id, "c": company_id},
    )
    return cur.rowcount > 0
