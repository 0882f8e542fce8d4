"""Publish a scenario's messages over MQTT, in real time or accelerated.

One MQTT connection acts as a gateway for all simulated terminals (the compose ACL
gives user ``simulator`` write access to ``liftwatch/v1/#``). On connect it publishes
a retained ``{"v":1,"online":true}`` on every terminal's ``online`` topic, and on a
clean stop ``online:false``. It sets no last will: a connection has one will, which
could only name one terminal (or a topic ingest would dead-letter as an unknown
terminal); after a crash the terminals fall silent and ingest's heartbeat timeout
marks them offline.

Messages go out at QoS 1 through :class:`messaging.fastpub.FastPublisher` (raw socket,
buffered writes, PUBACKs parsed by a reader thread) with at most ``window``
unacknowledged publishes: it blocks only when the window is full, and
``stats.published`` counts acknowledged messages only. A lost connection is
re-established and the unacknowledged messages resent with DUP (at-least-once); if the
broker stays away for ``reconnect_s`` the run fails with a clear error. Generation runs
ahead in a child process (:mod:`simulators.producer`).

Pacing: a message with event time ``ts`` is published at wall time
``wall0 + (ts - start_ms) / speed``; when the broker or the generator cannot keep up,
messages go out as fast as possible (``lag_s`` / ``max_lag_s`` say by how much).
Accelerated runs (speed > 1) start the simulated clock at ``now - duration`` so that,
whatever the speed, no event time is ever in the future, and ``wall0`` is when the
first batch is ready; real-time runs (speed 1) start at ``now`` and publish each
message when its event time comes.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

import msgspec

from domain.fleet import Fleet
from domain.telemetry import SCHEMA_VERSION, OnlineMessage, online_topic
from messaging.fastpub import FastPublisher, PublishCancelled
from simulators.producer import Batch, BatchSource
from simulators.scenario import ScenarioConfig

log = logging.getLogger(__name__)


@dataclass
class PublishStats:
    published: int = 0  # acknowledged by the broker
    status: int = 0
    events: int = 0
    sim_ms: int = 0  # simulated time reached
    lag_s: float = 0.0  # how far behind schedule the last message went out
    max_lag_s: float = 0.0
    elapsed_s: float = 0.0  # from the first scheduled message to the last
    startup_s: float = 0.0  # connecting, online messages and the first batch


def paced_window_s(speed: float) -> float:
    """Simulation window for a paced run: about 10 s of wall time, 1 min to 1 h simulated."""
    return min(3600.0, max(60.0, 10.0 * speed))


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
        generate_in_process: bool = True,
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
        self._stop = threading.Event()
        self._separate = generate_in_process
        self._client = FastPublisher(url, self.client_id, window=self.window)
        self._acked0 = 0  # acknowledgements before the scenario's first message

    def _online(self, online: bool) -> None:
        ts = int(time.time() * 1000)
        payload = msgspec.json.encode(OnlineMessage(v=SCHEMA_VERSION, online=online, ts=ts))
        for e in self.fleet.elevators:
            self._client.publish(online_topic(e.terminal_id, self.root), payload, retain=True)
        self._client.flush()

    def stop(self) -> None:
        self._stop.set()
        self._client.cancel()

    def run(self, on_progress: Callable[[PublishStats], None] | None = None) -> PublishStats:
        """Publish until the scenario ends or :meth:`stop`; returns the statistics."""
        t0 = time.monotonic()
        client = self._client
        realtime = self.speed if self.speed <= 1.0 else None  # the clock is the wall clock
        source = BatchSource(
            self.fleet, self.cfg, self.root, process=self._separate, realtime_speed=realtime
        )
        source.start()  # the generator sets up while we connect
        try:
            client.connect()
        except BaseException:
            source.close()
            raise
        try:
            self._online(True)
            client.wait_acked()
            self._acked0 = client.acked
            batches = source.batches()
            try:
                self._pump(batches, on_progress, t0)
            except PublishCancelled:
                pass
            finally:
                batches.close()
                source.close()  # stops the generator process
            client.wait_acked()
            self.stats.published = client.acked - self._acked0
            if not self._stop.is_set():
                self._online(False)
        finally:
            client.disconnect()
        return self.stats

    def _pump(
        self,
        batches: Iterator[Batch],
        on_progress: Callable[[PublishStats], None] | None,
        t0: float,
    ) -> None:
        st = self.stats
        wall0 = 0.0
        last_report = 0.0
        try:
            for batch in batches:
                if not wall0:
                    st.startup_s = time.monotonic() - t0
                    wall0 = self._wall_start()
                if not self._publish_paced(batch, wall0):
                    return
                st.published = self._client.acked - self._acked0
                now = time.monotonic()
                if on_progress is not None and now - last_report > 0.25:
                    st.elapsed_s = now - wall0
                    on_progress(st)
                    last_report = now
        finally:
            st.published = self._client.acked - self._acked0
            st.elapsed_s = time.monotonic() - wall0 if wall0 else 0.0
            if on_progress is not None:
                on_progress(st)

    def _wall_start(self) -> float:
        """The wall (monotonic) time of the scenario's start: now when the first batch
        is ready; in real time, when the simulated clock started."""
        wall0 = time.monotonic()
        if self.speed <= 1.0:  # real time: a message goes out when its time comes
            wall0 -= (time.time() * 1000 - self.cfg.start_ms) / 1000.0
        return wall0

    def _publish_paced(self, batch: Batch, wall0: float) -> bool:
        """Publish one batch, each message at its time; False once stopped."""
        st = self.stats
        start, speed = self.cfg.start_ms, self.speed
        publish, flush, mono = self._client.publish, self._client.flush, time.monotonic
        for ts, topic, is_status, payload in batch:
            delay = wall0 + (ts - start) / 1000.0 / speed - mono()
            if delay > 0.002:
                flush()  # what is due goes out before waiting
                if self._stop.wait(delay):
                    return False
            elif delay < 0:
                st.lag_s = -delay
                if -delay > st.max_lag_s:
                    st.max_lag_s = -delay
            publish(topic, payload)
            if is_status:
                st.status += 1
            else:
                st.events += 1
            st.sim_ms = ts
        flush()
        return not self._stop.is_set()


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
        self.cfg = replace(
            base, duration_s=duration, start_ms=clock_start_ms(duration, speed),
            window_s=paced_window_s(speed),
        )  # fmt: skip
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
