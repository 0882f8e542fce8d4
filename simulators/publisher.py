"""Publish a scenario's messages over MQTT, in real time or accelerated.

One MQTT connection acts as a gateway for all simulated terminals (the compose ACL
gives user ``simulator`` write access to ``liftwatch/v1/#``). On connect it publishes
a retained ``{"v":1,"online":true}`` on every terminal's ``online`` topic, and on a
clean stop ``online:false``; its last will (``online:false``, retained) is on
``<root>/<client id>/online``, because one connection can carry only one will.

Messages go out at QoS 1 with at most ``window`` unacknowledged publishes (paho refuses
beyond ~65k in flight). Pacing: a message with event time ``ts`` is published at wall
time ``wall0 + (ts - start_ms) / speed``; when the broker or the encoder cannot keep up,
messages go out as fast as possible (``lag_s`` in the stats says by how much).
Accelerated runs (speed > 1) start the simulated clock at ``now - duration`` so that,
whatever the speed, no event time is ever in the future; real-time runs (speed 1)
start at ``now``.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

import msgspec
import paho.mqtt.client as mqtt

from domain.fleet import Fleet
from domain.telemetry import SCHEMA_VERSION, OnlineMessage, online_topic
from messaging.client import connect, new_client
from simulators.scenario import ScenarioConfig, timed_message_stream

log = logging.getLogger(__name__)


@dataclass
class PublishStats:
    published: int = 0
    status: int = 0
    events: int = 0
    sim_ms: int = 0  # simulated time reached
    lag_s: float = 0.0  # how far behind schedule the last message went out
    elapsed_s: float = 0.0


def clock_start_ms(duration_s: float, speed: float, now_ms: int | None = None) -> int:
    """Simulated start: now for real time, ``now - duration`` when accelerated."""
    now = now_ms if now_ms is not None else int(time.time() * 1000)
    return now if speed <= 1.0 else now - round(duration_s * 1000)


class ScenarioPublisher:
    """Publishes ``message_stream(fleet, cfg)`` to a broker, paced by ``speed``."""

    def __init__(
        self,
        url: str,
        fleet: Fleet,
        cfg: ScenarioConfig,
        speed: float = 1.0,
        topic_root: str = "liftwatch/v1",
        window: int = 1_000,
        client_id: str | None = None,
    ) -> None:
        if speed <= 0:
            raise ValueError("speed must be > 0")
        self.fleet = fleet
        self.cfg = cfg
        self.speed = speed
        self.root = topic_root
        self.window = max(1, min(window, 60_000))
        self.client_id = client_id or f"simulator-{uuid.uuid4().hex[:8]}"
        self.stats = PublishStats()
        self._slots = threading.Semaphore(self.window)
        self._stop = threading.Event()
        self._connected = threading.Event()
        self._client = new_client(url, self.client_id)
        self._client.max_inflight_messages_set(self.window)
        will = msgspec.json.encode(OnlineMessage(v=SCHEMA_VERSION, online=False))
        self._client.will_set(online_topic(self.client_id, self.root), will, qos=1, retain=True)
        self._client.on_connect = self._on_connect
        self._client.on_publish = self._on_publish
        self._url = url

    def _on_connect(self, client: mqtt.Client, *args: object) -> None:
        self._connected.set()

    def _on_publish(self, client: mqtt.Client, *args: object) -> None:
        self._slots.release()

    def _publish(self, topic: str, payload: bytes, retain: bool = False) -> None:
        while not self._slots.acquire(timeout=0.5):
            if self._stop.is_set():
                return
        info = self._client.publish(topic, payload, qos=1, retain=retain)
        if info.rc != mqtt.MQTT_ERR_SUCCESS and info.rc != mqtt.MQTT_ERR_NO_CONN:
            self._slots.release()
            log.warning("publish to %s refused: rc=%s", topic, info.rc)

    def _online(self, online: bool) -> None:
        ts = int(time.time() * 1000)
        payload = msgspec.json.encode(OnlineMessage(v=SCHEMA_VERSION, online=online, ts=ts))
        for e in self.fleet.elevators:
            self._publish(online_topic(e.terminal_id, self.root), payload, retain=True)

    def stop(self) -> None:
        self._stop.set()

    def run(self, on_progress: Callable[[PublishStats], None] | None = None) -> PublishStats:
        """Publish until the scenario ends or :meth:`stop`; returns the statistics."""
        connect(self._client, self._url)
        self._client.loop_start()
        try:
            if not self._connected.wait(10):
                raise ConnectionError(f"cannot connect to the broker as {self.client_id}")
            self._online(True)
            self._pump(timed_message_stream(self.fleet, self.cfg), on_progress)
            if not self._stop.is_set():
                self._online(False)
            self._drain()
        finally:
            self._client.disconnect()
            self._client.loop_stop()
        return self.stats

    def _pump(
        self,
        stream: Iterator[tuple[int, str, str, bytes]],
        on_progress: Callable[[PublishStats], None] | None,
    ) -> None:
        wall0 = time.monotonic()
        start = self.cfg.start_ms
        last_report = 0.0
        for ts, terminal, kind, payload in stream:
            if self._stop.is_set():
                break
            due = wall0 + (ts - start) / 1000.0 / self.speed
            delay = due - time.monotonic()
            if delay > 0.002:
                if self._stop.wait(delay):
                    break
            else:
                self.stats.lag_s = -delay
            self._publish(f"{self.root}/{terminal}/{kind}", payload)
            st = self.stats
            st.published += 1
            if kind == "status":
                st.status += 1
            else:
                st.events += 1
            st.sim_ms = ts
            now = time.monotonic()
            if on_progress is not None and now - last_report > 0.25:
                st.elapsed_s = now - wall0
                on_progress(st)
                last_report = now
        self.stats.elapsed_s = time.monotonic() - wall0
        if on_progress is not None:
            on_progress(self.stats)

    def _drain(self, timeout_s: float = 30.0) -> None:
        """Wait for the broker to acknowledge what is in flight."""
        deadline = time.monotonic() + timeout_s
        taken = 0
        while taken < self.window and time.monotonic() < deadline:
            if self._slots.acquire(timeout=0.1):
                taken += 1
        for _ in range(taken):
            self._slots.release()


class SimulatorRunner:
    """The simulator as a background service of ``liftwatch demo`` (real time by default)."""

    name = "simulator"

    def __init__(
        self,
        url: str,
        fleet: Fleet,
        cfg: ScenarioConfig | None = None,
        speed: float = 1.0,
        topic_root: str = "liftwatch/v1",
        window: int = 1_000,
        hours: float = 24.0 * 7,
    ) -> None:
        base = cfg or ScenarioConfig()
        duration = hours * 3600.0 if cfg is None else base.duration_s
        self.cfg = replace(base, duration_s=duration, start_ms=clock_start_ms(duration, speed))
        self.publisher = ScenarioPublisher(url, fleet, self.cfg, speed, topic_root, window)
        self._thread: threading.Thread | None = None
        self.error: BaseException | None = None

    def _run(self) -> None:
        try:
            self.publisher.run()
        except Exception as exc:  # reported through .error and the log, not raised
            self.error = exc
            log.exception("simulator stopped")

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="simulator", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self.publisher.stop()
        if self._thread is not None:
            self._thread.join(timeout=15)
            self._thread = None
