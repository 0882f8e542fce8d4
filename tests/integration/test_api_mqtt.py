"""The API's MQTT publisher (aiomqtt on the event loop): delivery from the loop and from
worker threads, messages queued before the connection, a broker that is away, and the
health check that reports it."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator

import httpx
import pytest

from api.app import AppConfig
from liftwatch.embedded import free_port
from messaging.async_publisher import AsyncPublisher
from messaging.client import connect, new_client
from tests.fixtures.api_server import ApiServer

pytestmark = pytest.mark.integration


@pytest.fixture
def received(mqtt_url: str, topic_root: str) -> Iterator[list[tuple[str, object]]]:
    """Messages arriving under this test's topic root."""
    messages: list[tuple[str, object]] = []
    subscribed = threading.Event()
    sub = new_client(mqtt_url, f"lwtest-sub-{uuid.uuid4().hex[:8]}")
    sub.on_message = lambda c, u, m: messages.append((m.topic, json.loads(m.payload)))
    sub.on_subscribe = lambda *a: subscribed.set()
    connect(sub, mqtt_url)
    sub.loop_start()
    sub.subscribe(f"{topic_root}/#", qos=1)
    assert subscribed.wait(60)
    try:
        yield messages
    finally:
        sub.loop_stop()
        sub.disconnect()


async def _until(condition: Callable[[], bool], timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def test_publishes_from_the_loop_and_from_threads(
    mqtt_url: str, topic_root: str, received: list[tuple[str, object]]
) -> None:
    publisher = AsyncPublisher(mqtt_url)
    await publisher.start()
    try:
        # Queued before the connection is up: sent once it is.
        publisher.publish(f"{topic_root}/early", json.dumps({"n": 0}).encode())
        assert await publisher.wait_connected(10)
        publisher.publish(f"{topic_root}/loop", b'{"n": 1}')
        await asyncio.to_thread(publisher.publish, f"{topic_root}/thread", b'{"n": 2}')
        await _until(lambda: len(received) >= 3)
    finally:
        await publisher.stop()
    assert received == [
        (f"{topic_root}/early", {"n": 0}),
        (f"{topic_root}/loop", {"n": 1}),
        (f"{topic_root}/thread", {"n": 2}),
    ]
    assert not publisher.connected


async def test_a_broker_that_is_away_neither_blocks_nor_raises() -> None:
    publisher = AsyncPublisher(f"mqtt://127.0.0.1:{free_port()}")
    publisher.publish("nowhere/before-start", b"{}")  # not running yet: dropped, logged
    await publisher.start()
    publisher.publish("nowhere/queued", b"{}")
    assert not await publisher.wait_connected(0.5)
    started = time.monotonic()
    await publisher.stop()
    assert time.monotonic() - started < 2


def test_health_reports_the_broker(mqtt_url: str, fresh_database_url: str) -> None:
    config = AppConfig(database_url=fresh_database_url, mqtt_url=mqtt_url, jwt_secret="x" * 32)
    with ApiServer(config) as server, httpx.Client(base_url=server.base_url) as client:
        deadline = time.monotonic() + 60
        while True:
            response = client.get("/api/v1/health")
            if response.status_code == 200 or time.monotonic() > deadline:
                break
            time.sleep(0.1)
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "connected", "broker": "connected"}
