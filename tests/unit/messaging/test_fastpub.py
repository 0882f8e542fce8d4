"""FastPublisher against a scripted in-process broker on a loopback socket: the window
blocks, nothing counts as published before its PUBACK, a refused CONNECT raises, a
dropped connection is re-established and unacknowledged messages are resent with DUP."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest

from messaging.fastpub import FastPublisher, MqttConnectionLost, MqttConnectRefused
from messaging.mqttwire import split_packets


@dataclass
class Session:
    connect: bytes = b""
    publishes: list[tuple[int, int, bytes]] = field(default_factory=list)  # (flags, mid, body)
    pings: int = 0
    disconnected: bool = False


class ScriptedBroker:
    """Accepts connections one after another; ``connack`` is the return code to send,
    ``ack(session, mid)`` decides whether to PUBACK, ``drop_after`` closes a session
    after that many PUBLISHes (first session only)."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.url = f"mqtt://127.0.0.1:{self.server.getsockname()[1]}"
        self.connack = 0
        self.ack: Callable[[int, int], bool] = lambda session, mid: True
        self.drop_after: int | None = None
        self.sessions: list[Session] = []
        self.release = threading.Event()  # acks withheld by ``ack`` are sent when set
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            self._session(conn)

    def _session(self, conn: socket.socket) -> None:
        s = Session()
        self.sessions.append(s)
        index, buf = len(self.sessions) - 1, b""
        held: list[bytes] = []
        conn.settimeout(0.05)
        with conn:
            while True:
                if self.release.is_set() and held:
                    conn.sendall(b"".join(held))
                    held.clear()
                try:
                    data = conn.recv(65536)
                except TimeoutError:
                    continue
                except OSError:
                    return
                if not data:
                    return
                packets, buf = split_packets(buf + data)
                for first, body in packets:
                    if first == 0x10:
                        s.connect = body
                        conn.sendall(bytes([0x20, 2, 0, self.connack]))
                        if self.connack:
                            return
                    elif first & 0xF0 == 0x30:
                        tlen = int.from_bytes(body[:2], "big")
                        mid = int.from_bytes(body[2 + tlen : 4 + tlen], "big")
                        s.publishes.append((first, mid, body))
                        ack = bytes([0x40, 2]) + mid.to_bytes(2, "big")
                        if self.ack(index, mid):
                            conn.sendall(ack)
                        else:
                            held.append(ack)
                        if index == 0 and self.drop_after == len(s.publishes):
                            conn.shutdown(socket.SHUT_RDWR)
                            return
                    elif first == 0xC0:
                        s.pings += 1
                        conn.sendall(b"\xd0\x00")
                    elif first == 0xE0:
                        s.disconnected = True
                        return

    def close(self) -> None:
        self.server.close()


@pytest.fixture
def broker() -> Iterator[ScriptedBroker]:
    b = ScriptedBroker()
    yield b
    b.close()


def _wait(cond: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_publishes_are_acked_and_connect_carries_credentials(broker: ScriptedBroker) -> None:
    pub = FastPublisher(broker.url.replace("//", "//sim:secret@"), "sim-1", window=10)
    pub.connect()
    for i in range(25):
        pub.publish(f"r/v1/T{i % 3}/status", b'{"n":%d}' % i, retain=i == 0)
    assert pub.wait_acked(60)
    pub.disconnect()
    s = broker.sessions[0]
    assert s.connect.endswith(b"\x00\x05sim-1\x00\x03sim\x00\x06secret")
    assert pub.sent == pub.acked == 25
    assert pub.in_flight == 0
    assert [first for first, _, _ in s.publishes] == [0x33] + [0x32] * 24
    assert [body.endswith(b'{"n":%d}' % i) for i, (_, _, body) in enumerate(s.publishes)] == [
        True
    ] * 25
    _wait(lambda: s.disconnected)


def test_window_blocks_until_acks_arrive(broker: ScriptedBroker) -> None:
    broker.ack = lambda session, mid: False  # hold every PUBACK until released
    pub = FastPublisher(broker.url, "sim-2", window=4)
    pub.connect()
    done = threading.Event()

    def publish_six() -> None:
        for i in range(6):
            pub.publish("r/T1/status", b"%d" % i)
        pub.flush()
        done.set()

    t = threading.Thread(target=publish_six, daemon=True)
    t.start()
    _wait(lambda: len(broker.sessions) == 1 and len(broker.sessions[0].publishes) == 4)
    time.sleep(0.2)
    assert not done.is_set()  # the 5th publish waits for room
    assert pub.acked == 0
    assert pub.in_flight == 4
    broker.release.set()
    broker.ack = lambda session, mid: True
    assert done.wait(60)
    assert pub.wait_acked(60)
    assert pub.acked == 6
    pub.disconnect()


def test_refused_connect_raises_with_the_reason(broker: ScriptedBroker) -> None:
    broker.connack = 5
    pub = FastPublisher(broker.url, "sim-3")
    with pytest.raises(MqttConnectRefused, match="not authorized"):
        pub.connect()


def test_lost_connection_resends_unacked_with_dup(broker: ScriptedBroker) -> None:
    # First session: acks mids 1-3, withholds the rest, drops after the 5th PUBLISH.
    broker.ack = lambda session, mid: session > 0 or mid <= 3
    broker.drop_after = 5
    pub = FastPublisher(broker.url, "sim-4", window=100, reconnect_s=5)
    pub.connect()
    for i in range(5):
        pub.publish("r/T1/status", b"%d" % i)
    pub.flush()
    _wait(lambda: pub._lost is not None)
    pub.publish("r/T1/status", b"5")  # reconnects, resends 4 and 5 (mids 4, 5), then 6
    assert pub.wait_acked(60)
    pub.disconnect()
    assert pub.reconnects == 1
    assert pub.acked == 6
    second = broker.sessions[1].publishes
    assert [(first, mid) for first, mid, _ in second] == [(0x3A, 4), (0x3A, 5), (0x32, 6)]


def test_gives_up_with_a_clear_error_when_the_broker_stays_away() -> None:
    b = ScriptedBroker()
    pub = FastPublisher(b.url, "sim-5", reconnect_s=0.5)
    pub.connect()
    pub.publish("r/T1/status", b"0")
    assert pub.wait_acked(60)
    b.close()  # no new connections
    assert pub._sock is not None
    pub._sock.shutdown(socket.SHUT_RDWR)  # the connection drops
    _wait(lambda: pub._lost is not None)
    with pytest.raises(MqttConnectionLost, match="not re-established"):
        pub.publish("r/T1/status", b"1")


def test_keepalive_sends_pingreq_when_idle(broker: ScriptedBroker) -> None:
    pub = FastPublisher(broker.url, "sim-6", keepalive=1)
    pub.connect()
    _wait(lambda: len(broker.sessions) == 1 and broker.sessions[0].pings >= 2, timeout=60)
    assert pub._lost is None
    pub.disconnect()
