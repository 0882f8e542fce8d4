"""Webhook subscriptions of maintenance companies (their deliveries: notifications.py)."""

from __future__ import annotations

from typing import Any

import psycopg

from rescue.errors import NotFound, WebhookExists
from rescue.model import Webhook
from rescue.repository import webhooks as webhook_repository


async def list_webhooks(
    conn: psycopg.AsyncConnection[Any], company_id: int | None
) -> list[Webhook]:
    """One company's subscriptions, or every company's (None)."""
    return await webhook_repository.list_subscriptions(conn, company_id)


async def add_webhook(
    conn: psycopg.AsyncConnection[Any], company_id: int, url: str, secret: str
) -> Webhook:
    """Subscribe a URL to the company's case events (signed with ``secret``)."""
    try:
        return await webhook_repository.add_subscription(conn, company_id, url, secret)
    except psycopg.errors.UniqueViolation:
        raise WebhookExists("this URL is already subscribed") from None
    except psycopg.errors.ForeignKeyViolation:
        raise NotFound(f"company {company_id} not found") from None


async def remove_webhook(
    conn: psycopg.AsyncConnection[Any], webhook_id: int, company_id: int | None
) -> None:
    """Unsubscribe (only the company's own, if given)."""
    if not await webhook_repository.remove_subscription(conn, webhook_id, company_id):
        raise NotFound(f"webhook {webhook_id} not found")
