"""Notifications of rescue cases and offers: live events, MQTT, signed webhooks.

Inside the engine's transaction, :class:`Notifier` sends the live event (PostgreSQL
NOTIFY, delivered only on commit) and queues webhook deliveries; MQTT messages are held
until :meth:`Notifier.flush` after the commit, so nobody hears of what was rolled back.

Topics (root ``DispatchSettings.notify_topic_root``, QoS 1, small JSON):
``<root>/company-<id>/case`` and ``<root>/rescuer-<id>/offer``.

Webhooks are signed: header ``X-Liftwatch-Signature: t=<unix s>,v1=<hex>`` where the hex
is HMAC-SHA256 with the subscription's secret over ``"<t>." + body``; receivers reject a
``t`` older than a few minutes (replay).
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

import msgspec
import psycopg

from i18n import DEFAULT_LANG, case_text, offer_text
from rescue.config import DispatchSettings
from rescue.errors import RefusedWebhookUrl
from rescue.repository import webhooks as webhook_repository
from rescue.webhook_targets import Resolve, allowed_networks, check_url, post_to
from storage.events import notify

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Liftwatch-Signature"
EVENT_HEADER = "X-Liftwatch-Event"
DELIVERY_HEADER = "X-Liftwatch-Delivery"


class MqttPublisher(Protocol):
    def publish(self, topic: str, payload: bytes | str, qos: int = 1, retain: bool = False) -> Any:
        """Publish one message."""


def company_topic(root: str, company_id: int) -> str:
    return f"{root}/company-{company_id}/case"


def rescuer_topic(root: str, rescuer_id: int) -> str:
    return f"{root}/rescuer-{rescuer_id}/offer"


Sink = Callable[[str, dict[str, Any]], None]


@dataclass
class Notifier:
    """Fans case and offer changes out to the desk (NOTIFY), MQTT and webhooks."""

    publisher: MqttPublisher | None = None
    topic_root: str = "liftwatch/notify/v1"
    sink: Sink | None = None  # in-process listener (simulated rescuer agents)
    language: str = DEFAULT_LANG  # of the "text" line of each message (docs/ui.md)
    _outbox: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def case(
        self,
        conn: psycopg.Connection[Any],
        at: datetime,
        data: dict[str, Any],
        company_id: int,
    ) -> None:
        """A case changed (``data`` has id, state, step, ...): desk, company, webhooks."""
        payload = {**data, "company_id": company_id, "at": at.isoformat()}
        payload["text"] = case_text(payload, at, self.language)
        notify(conn, "case", payload)
        body = msgspec.json.encode(payload).decode()
        webhook_repository.enqueue(conn, company_id, int(data["id"]), str(data["step"]), body, at)
        self._outbox.append((company_topic(self.topic_root, company_id), payload))

    def offer(
        self, conn: psycopg.Connection[Any], at: datetime, data: dict[str, Any], rescuer_id: int
    ) -> None:
        """An offer was made, answered, expired or withdrawn: desk and the rescuer."""
        payload = {**data, "rescuer_id": rescuer_id, "at": at.isoformat()}
        payload["text"] = offer_text(payload, self.language)
        notify(conn, "offer", payload)
        self._outbox.append((rescuer_topic(self.topic_root, rescuer_id), payload))

    def discard(self) -> None:
        self._outbox.clear()

    def flush(self) -> None:
        """Publish what the committed transaction produced."""
        outbox, self._outbox = self._outbox, []
        for topic, payload in outbox:
            if self.sink is not None:
                self.sink(topic, payload)
            if self.publisher is not None:
                try:
                    self.publisher.publish(topic, msgspec.json.encode(payload), qos=1)
                except Exception:  # a broker hiccup must not undo a committed dispatch
                    log.exception("publishing to %s failed", topic)


def sign(secret: str, timestamp: int, body: str) -> str:
    """The signature header value for a body sent at ``timestamp`` (unix seconds)."""
    mac = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(secret: str, header: str, body: str, now_s: float, tolerance_s: float = 300) -> bool:
    """Check a signature header as a receiver would (constant time, replay window)."""
    try:
        parts = dict(part.split("=", 1) for part in header.split(","))
        timestamp = int(parts["t"])
        given = parts["v1"]
    except (KeyError, ValueError):
        return False
    if abs(now_s - timestamp) > tolerance_s:
        return False
    expected = sign(secret, timestamp, body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, given)


PostResult = tuple[int | None, str]  # (HTTP status or None, error text)
Post = Callable[[str, bytes, dict[str, str], float], PostResult]


class WebhookPoster:
    """Sends one webhook: the URL is checked again (public addresses only, see
    :mod:`rescue.webhook_targets`), the checked address is connected to, no redirect is
    followed, and the whole exchange ends within the deadline (seconds, 4th argument)."""

    def __init__(self, allow: Sequence[str] = (), resolve: Resolve | None = None) -> None:
        self.allow = allowed_networks(allow)
        self.resolve = resolve

    def __call__(
        self, url: str, body: bytes, headers: dict[str, str], deadline_s: float
    ) -> PostResult:
        try:
            target = check_url(url, self.allow, self.resolve)
            code = post_to(target, body, headers, deadline_s)
        except RefusedWebhookUrl as exc:
            return None, f"refused: {exc}"[:300]
        except TimeoutError as exc:
            return None, f"deadline: {exc}"[:300]
        except (OSError, http.client.HTTPException, ValueError) as exc:
            return None, f"{type(exc).__name__}: {exc}"[:300]
        return code, "" if 200 <= code < 300 else f"HTTP {code}"


def backoff_s(settings: DispatchSettings, attempts_done: int) -> float:
    """Delay before the next attempt after ``attempts_done`` failures: 10, 20, 40 s..."""
    return float(settings.webhook_backoff_s * 2 ** max(0, attempts_done - 1))


CLAIM_BATCH = 20


def _attempt(
    post: Post, delivery: webhook_repository.Delivery, now: datetime, deadline_s: float
) -> PostResult:
    """One attempt of one delivery: whatever goes wrong is this delivery's failure."""
    try:
        timestamp = int(now.timestamp())
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(delivery.secret, timestamp, delivery.body),
            EVENT_HEADER: delivery.event,
            DELIVERY_HEADER: str(delivery.id),
        }
        return post(delivery.url, delivery.body.encode(), headers, deadline_s)
    except Exception as exc:  # noqa: BLE001 - one bad delivery must not stop the others
        log.warning("webhook delivery %d failed: %r", delivery.id, exc)
        return None, f"{type(exc).__name__}: {exc}"[:300]


def deliver_due(
    conn: psycopg.Connection[Any],
    settings: DispatchSettings,
    now: datetime,
    post: Post | None = None,
) -> int:
    """Send the due webhook deliveries once; log each attempt. Returns attempts made.

    Each attempt ends within ``webhook_deadline_s``; any exception in one counts as a
    failed attempt of that delivery only."""
    send = post or WebhookPoster(settings.webhook_allow_networks)
    deadline_s = settings.webhook_deadline_s
    # Claimed deliveries stay leased while the batch is sent, one deadline each.
    lease_s = deadline_s * CLAIM_BATCH + 30
    due = webhook_repository.claim_due(conn, now, lease_s=lease_s, limit=CLAIM_BATCH)
    for delivery in due:
        code, error = _attempt(send, delivery, now, deadline_s)
        ok = code is not None and 200 <= code < 300
        attempts = delivery.attempts + 1
        retry_at = None
        if not ok and attempts < settings.webhook_max_attempts:
            retry_at = now + timedelta(seconds=backoff_s(settings, attempts))
        with conn.transaction():
            webhook_repository.record_attempt(
                conn,
                delivery.id,
                at=now,
                ok=ok,
                response_code=code,
                error=error,
                next_attempt_at=retry_at,
            )
    return len(due)
