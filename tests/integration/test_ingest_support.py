"""Helpers for the ingest integration tests: payloads, a lean QoS 1 publisher, a private
mosquitto, the ingest service as a subprocess or in process with the detect stage,
polling. (No tests in this module.)"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
import paho.mqtt.client as mqtt
import psycopg

from analytics.config import DetectionSettings
from ingest.config import IngestSettings
from ingest.detect_stage import DetectStage
from ingest.service import IngestService
from messaging.client import MqttEndpoint, Publisher, connect, new_client
from messaging.mqttwire import connect_packet, publish_packet, topic_header

REPO = Path(__file__).resolve().parents[2]


def now_ms() -> int:
    return int(time.time() * 1000)


def status_payload(seq: int, ts: int, floor: int = 1, **kw: object) -> bytes:
    body: dict[str, object] = {
        "v": 1, "seq": seq, "ts": ts, "car": "stopped", "dir": "none", "floor": floor,
        "door_zone": True, "door": "closed", "passenger": False, "mode": "normal",
        "speed": 0.0, "analog": {"vibration": 0.1},
    }  # fmt: skip
    body.update(kw)
    return msgspec.json.encode(body)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# Every wait lasts at least this long before it fails: a wait ends as soon as its
# condition holds, so a generous deadline costs nothing when things work, and a loaded
# machine (two test runs on two cores) does not fail a test that is only slow.
MIN_WAIT_S = 60.0


def wait_for(cond: Callable[[], bool], timeout: float, what: str, every: float = 0.1) -> None:
    timeout = max(timeout, MIN_WAIT_S)
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(every)


def scalar(db_url: str, sql: str, params: tuple[Any, ...] = ()) -> Any:
    with psycopg.connect(db_url) as conn:
        row = conn.execute(sql, params).fetchone()
    return None if row is None else row[0]


class RawPublisher:
    """MQTT 3.1.1 QoS 1 publishes on a plain socket with a bounded window (fast and cheap
    enough to share two cores with the broker, the database and ingest). Unlike
    :class:`messaging.fastpub.FastPublisher` it never reconnects: a test sees the broker's
    refusal or disconnection as it is."""

    def __init__(self, url: str, client_id: str = "", username: str | None = None) -> None:
        ep = MqttEndpoint.parse(url)
        self.sock = socket.create_connection((ep.host, ep.port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        user = username or ep.username or None
        cid = client_id or f"test-pub-{uuid.uuid4().hex[:8]}"
        password = (ep.password or None) if user else None
        self.sock.sendall(connect_packet(cid, keepalive=60, username=user, password=password))
        ack = self.sock.recv(4)
        if ack[:2] != b"\x20\x02" or ack[3] != 0:
            raise ConnectionError(f"CONNACK refused: {ack!r}")
        self.mid = 0

    def publish_many(
        self, messages: list[tuple[str, bytes]], window: int = 500, rate: float = 0.0
    ) -> None:
        """Publish all, wait for every PUBACK; ``rate`` > 0 paces messages per second."""
        sock, sent, acked, pending = self.sock, 0, 0, b""
        started = time.monotonic()
        n = len(messages)
        while acked < n:
            chunk: list[bytes] = []
            while sent < n and sent - acked < window and len(chunk) < 200:
                if rate and sent > (time.monotonic() - started) * rate:
                    break
                topic, payload = messages[sent]
                self.mid = self.mid % 65535 + 1
                chunk.append(publish_packet(topic_header(topic), payload, self.mid))
                sent += 1
            if chunk:
                sock.sendall(b"".join(chunk))
            sock.settimeout(0.05 if sent - acked < window else 5.0)
            try:
                data = sock.recv(65536)
            except (TimeoutError, BlockingIOError):
                continue
            if not data:
                raise ConnectionError("broker closed the connection")
            pending += data
            acked += len(pending) // 4
            pending = pending[len(pending) // 4 * 4 :]

    def publish(self, topic: str, payload: bytes, retain: bool = False) -> None:
        self.mid = self.mid % 65535 + 1
        self.sock.settimeout(5.0)
        self.sock.sendall(publish_packet(topic_header(topic), payload, self.mid, retain=retain))
        assert self.sock.recv(4)[:1] == b"\x40"

    def close(self) -> None:
        try:
            self.sock.sendall(b"\xe0\x00")
        finally:
            self.sock.close()


class Mosquitto:
    """A private mosquitto on a free port (persistence on), that a test may restart."""

    def __init__(self, binary: str, workdir: Path, extra: str = "allow_anonymous true\n") -> None:
        self.binary, self.port = binary, free_port()
        self.url = f"mqtt://127.0.0.1:{self.port}"
        data = workdir / "mosquitto-data"
        data.mkdir(parents=True, exist_ok=True)
        self.conf = workdir / "mosquitto.conf"
        self.conf.write_text(
            f"listener {self.port} 127.0.0.1\nuser root\npersistence true\n"
            f"persistence_location {data}/\nautosave_interval 1\n"
            "max_queued_messages 1000000\nmax_inflight_messages 1000\n" + extra
        )
        self.log = workdir / "mosquitto.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [self.binary, "-c", str(self.conf)], stdout=log, stderr=log
            )
        wait_for(self._listening, 60, "mosquitto to listen")

    def _listening(self) -> bool:
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
            return True
        except OSError:
            return False

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        self.proc = None


@contextmanager
def mosquitto(
    binary: str, workdir: Path, extra: str = "allow_anonymous true\n"
) -> Iterator[Mosquitto]:
    broker = Mosquitto(binary, workdir, extra)
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()


class IngestProcess:
    """`python -m liftwatch ingest` as a subprocess; its stderr (JSON logs) collected."""

    def __init__(self, db_url: str, mqtt_url: str, topic_root: str, client_id: str) -> None:
        self.env = {
            **os.environ,
            "LIFTWATCH_DATABASE_URL": db_url,
            "LIFTWATCH_MQTT_URL": mqtt_url,
            "LIFTWATCH_TOPIC_ROOT": topic_root,
            "LIFTWATCH_INGEST__CLIENT_ID": client_id,
            "LIFTWATCH_INGEST__METRICS_PORT": "0",
        }
        self.lines: list[str] = []
        self.proc: subprocess.Popen[str] | None = None

    def start(self) -> None:
        self.lines = []
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "liftwatch", "ingest"],
            cwd=REPO, env=self.env, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        threading.Thread(target=self._read, args=(self.proc,), daemon=True).start()
        try:
            wait_for(self._started, 60, "ingest to start")
        except AssertionError as exc:
            self.stop()
            raise AssertionError(f"{exc}; its log: {''.join(self.lines)[-2000:]}") from None

    def _started(self) -> bool:
        return self.logged("ingest ready") and self.logged("mqtt connected")

    def _read(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            self.lines.append(line)

    def logged(self, text: str) -> bool:
        return any(text in line for line in self.lines)

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(10)

    def stop(self) -> None:
        """Make sure the process is gone (for finally blocks)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def terminate(self) -> int:
        assert self.proc is not None
        self.proc.terminate()
        return self.proc.wait(30)


@dataclass(frozen=True)
class LivePipeline:
    """Ingest with the detect stage, in this process, and an MQTT client for terminals."""

    ingest: IngestService
    stage: DetectStage
    terminals: mqtt.Client


@contextmanager
def live_pipeline(
    db_url: str, mqtt_url: str, topic_root: str, settings: DetectionSettings
) -> Iterator[LivePipeline]:
    """Start ingest with the detect stage (ticking every 0.1 s) on the real broker and
    database; ready and subscribed when entered, stopped on exit."""
    tag = uuid.uuid4().hex[:8]
    publisher = Publisher(mqtt_url, f"lwtest-pub-{tag}")
    assert publisher.start()
    stage = DetectStage(settings, db_url, publisher, tick_s=0.1)
    ingest = IngestService(
        IngestSettings(metrics_port=0, client_id=f"lwtest-ingest-{tag}"),
        db_url, mqtt_url, topic_root, consumers=[stage],
    )  # fmt: skip
    terminals = new_client(mqtt_url, f"lwtest-terminals-{tag}")
    connect(terminals, mqtt_url)
    terminals.loop_start()
    stage.start()
    ingest.start()
    try:
        assert ingest.ready.wait(60)
        assert ingest.receiver.subscribed.wait(60)
        yield LivePipeline(ingest, stage, terminals)
    finally:
        ingest.stop()
        stage.stop()
        publisher.stop()
        terminals.loop_stop()
        terminals.disconnect()
