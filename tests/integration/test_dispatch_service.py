"""The dispatch service in real time (LISTEN), MQTT notifications, signed webhooks."""

from __future__ import annotations

import json
import threading
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest

from alarms.repository import raise_alarm
from domain.alarms import AlarmType
from messaging.client import Publisher, connect, new_client
from rescue.config import DispatchSettings
from rescue.notifications import SIGNATURE_HEADER, deliver_due, verify
from rescue.service import DispatchService

pytestmark = pytest.mark.integration


@pytest.fixture
def db(dispatch_db: str) -> str:
    return dispatch_db  # the seeded fleet, its rescue tables reset (tests/fixtures/dispatch.py)


def _first_offer(url: str, alarm_id: int, timeout: float = 10) -> list[int]:
    deadline = time.monotonic() + timeout
    with psycopg.connect(url, autocommit=True) as conn:
        while time.monotonic() < deadline:
            rows = conn.execute(
                """SELECT o.rescuer_id FROM dispatch_offers o
                   JOIN rescue_cases c ON c.id = o.case_id WHERE c.alarm_id = %s""",
                (alarm_id,),
            ).fetchall()
            if rows:
                return sorted(int(r[0]) for r in rows)
            time.sleep(0.02)
    return []


def test_service_turns_an_alarm_into_offers_and_mqtt(
    db: str, mqtt_url: str, topic_root: str
) -> None:
    received: list[tuple[str, dict[str, Any]]] = []
    sub = new_client(mqtt_url, f"lwtest-{uuid.uuid4().hex[:8]}")
    subscribed = threading.Event()
    sub.on_message = lambda c, u, m: received.append((m.topic, json.loads(m.payload)))
    sub.on_subscribe = lambda *a: subscribed.set()
    connect(sub, mqtt_url)
    sub.loop_start()
    sub.subscribe(f"{topic_root}/#", qos=1)
    assert subscribed.wait(60)
    publisher = Publisher(mqtt_url, "")
    assert publisher.start(10)
    service = DispatchService(db, DispatchSettings(offer_size=2, notify_topic_root=topic_root),
                              publisher=publisher)  # fmt: skip
    service.start()
    try:
        assert service.ready.wait(60)
        with psycopg.connect(db) as conn:
            alarm = raise_alarm(conn, 1, AlarmType.ENTRAPMENT, datetime.now(UTC), "detector")
        assert _first_offer(db, alarm.id) == [11, 12]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len({t for t, _ in received}) < 3:
            time.sleep(0.05)
        topics = {t for t, _ in received}
        assert f"{topic_root}/rescuer-11/offer" in topics
        assert f"{topic_root}/rescuer-12/offer" in topics
        assert f"{topic_root}/company-1/case" in topics
    finally:
        service.stop()
        publisher.stop()
        sub.loop_stop()
        sub.disconnect()


def test_missed_notification_is_caught_by_the_poll(db: str) -> None:
    with psycopg.connect(db) as conn:  # raised before the service listens
        alarm = raise_alarm(conn, 2, AlarmType.ALARM_BUTTON, datetime.now(UTC), "terminal")
    service = DispatchService(db, DispatchSettings(poll_interval_s=0.2))
    service.start()
    try:
        assert _first_offer(db, alarm.id)
    finally:
        service.stop()


def test_webhooks_are_signed_retried_and_logged(db: str) -> None:
    settings = DispatchSettings(webhook_backoff_s=1, webhook_max_attempts=2)
    secret = "k" * 24
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO webhook_subscriptions (company_id, url, secret)"
            " VALUES (1, 'http://example.invalid/hook', %s)",
            (secret,),
        )
        from tests.fixtures.dispatch import FakeClock, engine

        clock = FakeClock(datetime.now(UTC))
        eng = engine(db, clock)
        with eng.conn.transaction():
            alarm = raise_alarm(eng.conn, 1, AlarmType.ENTRAPMENT, clock.now, "detector")
        eng.open_case_for_alarm(alarm.id)
        calls: list[tuple[str, bytes, dict[str, str]]] = []

        def failing(url: str, body: bytes, headers: dict[str, str], t: float) -> Any:
            calls.append((url, body, headers))
            return 503, "HTTP 503"

        assert deliver_due(conn, settings, clock.now, failing) == 2  # reported, offered
        hook_url, body, headers = calls[0]
        assert hook_url == "http://example.invalid/hook"
        assert verify(secret, headers[SIGNATURE_HEADER], body.decode(), clock.now.timestamp())
        assert not verify(secret, headers[SIGNATURE_HEADER], body.decode() + " ",
                          clock.now.timestamp())  # fmt: skip
        assert not verify(secret, headers[SIGNATURE_HEADER], body.decode(),
                          clock.now.timestamp() + 3600)  # replayed an hour later  # fmt: skip
        assert deliver_due(conn, settings, clock.now, failing) == 0  # backing off
        clock.advance(1.5)
        ok = lambda *a: (200, "")  # noqa: E731
        assert deliver_due(conn, settings, clock.now, ok) == 2
        rows = conn.execute(
            "SELECT status, attempts, response_code FROM webhook_deliveries ORDER BY id"
        ).fetchall()
        assert rows[:2] == [("delivered", 2, 200), ("delivered", 2, 200)]
        eng.conn.close()
