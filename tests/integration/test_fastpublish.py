"""messaging.fastpub against a real broker: N QoS 1 publishes arrive exactly once and in
order, retained messages are kept; with a private mosquitto restarted mid-run, the
publisher reconnects and every message still arrives (at least once)."""

from __future__ import annotations

import threading
import time
import uuid
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from messaging.client import connect, new_client
from messaging.fastpub import FastPublisher
from tests.integration.test_ingest_support import mosquitto

pytestmark = pytest.mark.integration


class Collector:
    def __init__(self, url: str, pattern: str, clean: bool = True) -> None:
        self.got: list[tuple[str, bytes, bool]] = []
        self.subscribed = threading.Event()
        self.client = new_client(url, f"fpsub-{uuid.uuid4().hex[:8]}", clean_session=clean)
        self.client.on_message = self._on_message
        self.client.on_subscribe = lambda *a: self.subscribed.set()
        self.client.on_connect = lambda c, *a: c.subscribe(pattern, qos=1)
        connect(self.client, url)
        self.client.loop_start()
        assert self.subscribed.wait(60)

    def _on_message(self, client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        self.got.append((msg.topic, bytes(msg.payload), bool(msg.retain)))

    def wait(self, n: int, timeout: float = 120.0) -> None:
        """Until ``n`` distinct payloads arrived (a redelivery after a restart is a duplicate)."""
        deadline = time.monotonic() + timeout
        while len({p for _, p, _ in list(self.got)}) < n and time.monotonic() < deadline:
            time.sleep(0.02)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def test_n_messages_arrive_exactly_once_in_order(mqtt_url: str, topic_root: str) -> None:
    n = 5_000
    sub = Collector(mqtt_url, f"{topic_root}/#")
    try:
        pub = FastPublisher(mqtt_url, f"fp-{uuid.uuid4().hex[:8]}", window=200)
        pub.connect()
        sent = [(f"{topic_root}/T{i % 37}/status", b'{"i":%d}' % i) for i in range(n)]
        for topic, payload in sent:
            pub.publish(topic, payload)
        assert pub.wait_acked(120)
        assert pub.acked == n
        pub.disconnect()
        sub.wait(n)
        time.sleep(0.3)  # nothing more should come
    finally:
        sub.close()
    assert [(t, p) for t, p, _ in sub.got] == sent


def test_retained_message_reaches_a_later_subscriber(mqtt_url: str, topic_root: str) -> None:
    topic = f"{topic_root}/T1/online"
    with FastPublisher(mqtt_url, f"fp-{uuid.uuid4().hex[:8]}") as pub:
        pub.publish(topic, b'{"v":1,"online":true}', retain=True)
        assert pub.wait_acked(60)
    sub = Collector(mqtt_url, topic)
    try:
        sub.wait(1, 60)
    finally:
        sub.close()
    assert sub.got == [(topic, b'{"v":1,"online":true}', True)]


@pytest.mark.mosquitto
def test_broker_restart_mid_run_loses_nothing(mosquitto_bin: str, tmp_path: Path) -> None:
    n, root = 3_000, f"lwtest/{uuid.uuid4().hex[:8]}/v1"
    with mosquitto(mosquitto_bin, tmp_path) as broker:
        # A persistent subscriber session: the broker keeps its messages across the restart.
        sub = Collector(broker.url, f"{root}/#", clean=False)
        try:
            pub = FastPublisher(broker.url, f"fp-{uuid.uuid4().hex[:8]}", reconnect_s=20)
            pub.connect()
            for i in range(n):
                if i == n // 2:
                    pub.flush()
                    broker.stop()
                    broker.start()
                pub.publish(f"{root}/T{i % 5}/status", b"%d" % i)
            assert pub.wait_acked(120)
            pub.disconnect()
            sub.wait(n, 120)
        finally:
            sub.close()
    assert pub.reconnects >= 1
    assert pub.acked == n
    assert {int(p) for _, p, _ in sub.got} == set(range(n))
