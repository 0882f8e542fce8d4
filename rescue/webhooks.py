"""Webhook subscriptions of maintenance companies (their deliveries: notifications.py)."""

from __future__ import annotations

import asyncio
from typing import Any

import psycopg

from rescue.config import DispatchSettings
from rescue.errors import NotFound, TooManyWebhooks, WebhookExists
from rescue.model import Webhook
from rescue.repository import webhooks as webhook_repository
from rescue.webhook_targets import Resolve, allowed_networks, check_url

# User-facing messages of this module: keys of the server catalogues (i18n/messages).
MESSAGES = {
    "exists": "errors.webhooks.exists",
    "too_many": "errors.webhooks.too_many",
}


async def list_webhooks(
    conn: psycopg.AsyncConnection[Any], company_id: int | None
) -> list[Webhook]:
    """One company's subscriptions, or every company's (None)."""
    return await webhook_repository.list_subscriptions(conn, company_id)


async def add_webhook(
    conn: psycopg.AsyncConnection[Any],
    company_id: int,
    url: str,
    secret: str,
    settings: DispatchSettings,
    resolve: Resolve | None = None,
) -> Webhook:
    """Subscribe a URL to the company's case events (signed with ``secret``): only a URL
    resolving to public addresses (:class:`~rescue.errors.RefusedWebhookUrl`), at most
    ``webhook_max_per_company`` a company (:class:`~rescue.errors.TooManyWebhooks`)."""
    allow = allowed_networks(settings.webhook_allow_networks)
    await asyncio.to_thread(check_url, url, allow, resolve)  # a DNS lookup blocks
    limit = settings.webhook_max_per_company
    try:
        added = await webhook_repository.add_subscription(conn, company_id, url, secret, limit)
    except psycopg.errors.UniqueViolation:
        raise WebhookExists(MESSAGES["exists"]) from None
    except psycopg.errors.ForeignKeyViolation:
        raise NotFound(f"company {company_id} not found") from None
    if added is None:
        raise TooManyWebhooks(MESSAGES["too_many"], limit=limit)
    return added


async def remove_webhook(
    conn: psycopg.AsyncConnection[Any], webhook_id: int, company_id: int | None
) -> None:
    """Unsubscribe (only the company's own, if given)."""
    if not await webhook_repository.remove_subscription(conn, webhook_id, company_id):
        raise NotFound(f"webhook {webhook_id} not found")
