"""A lean MQTT 3.1.1 QoS 1 publisher on a plain socket, for high message rates.

paho handles each PUBACK with several ``recv`` calls and wakes its network thread per
publish, which caps a publishing process at a few thousand messages a second on this
machine. ``FastPublisher`` instead buffers ready-made PUBLISH packets and writes them
with one ``sendall`` per ~64 KB, and a reader thread parses PUBACKs from 64 KB reads.

- QoS 1 only (retained or not), at most ``window`` unacknowledged messages: ``publish``
  blocks while the window is full. A message counts as published (``acked``) only once
  its PUBACK has arrived.
- Keepalive: the reader thread sends PINGREQ when nothing was written for half the
  keepalive period, and declares the connection lost when a PINGRESP is overdue.
- Connection loss: the next ``publish``/``flush``/``wait_acked`` reconnects (retrying
  for up to ``reconnect_s``) and resends every unacknowledged message with the DUP flag
  (at-least-once: a message may arrive twice; ingest deduplicates on (terminal, ts,
  seq)). If it cannot reconnect in time it raises :class:`MqttConnectionLost`.
- A refused CONNECT raises :class:`MqttConnectRefused` with the broker's reason; that
  is never retried.

Single publishing thread: ``publish``, ``flush``, ``wait_acked`` and ``disconnect`` are
meant to be called from one thread (the reader thread is internal).
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading
import time
from types import TracebackType

from messaging.client import MqttEndpoint
from messaging.mqttwire import (
    CONNACK_REASONS,
    DISCONNECT,
    PINGREQ,
    PINGRESP,
    PUBACK,
    MqttProtocolError,
    connack_code,
    connect_packet,
    encode_varint,
    split_packets,
    topic_header,
    with_dup,
)

HEADER_CACHE = 200_000  # topics whose encoded header is kept
FLUSH_BYTES = 64 * 1024  # write when this much is queued


class MqttConnectRefused(ConnectionError):
    """The broker answered CONNECT with a non-zero return code."""

    def __init__(self, code: int) -> None:
        self.code = code
        reason = CONNACK_REASONS.get(code, "unknown reason")
        super().__init__(f"MQTT broker refused the connection: {reason} (CONNACK {code})")


class MqttConnectionLost(ConnectionError):
    """The connection dropped and could not be re-established in time."""


class PublishCancelled(Exception):
    """:meth:`FastPublisher.cancel` was called while waiting for window room."""


# -- the publisher -------------------------------------------------------------------------
class FastPublisher:
    """QoS 1 publisher with a bounded in-flight window (see the module doc)."""

    def __init__(
        self,
        url: str,
        client_id: str,
        *,
        clean_session: bool = True,
        window: int = 1_000,
        keepalive: int = 30,
        username: str | None = None,
        password: str | None = None,
        reconnect_s: float = 30.0,
        timeout_s: float = 10.0,
    ) -> None:
        if not 1 <= window <= 65_000:
            raise ValueError("window must be within 1..65000")
        ep = MqttEndpoint.parse(url)
        self.host, self.port = ep.host, ep.port
        self.client_id = client_id
        self.window = window
        self.keepalive = keepalive
        self.reconnect_s = reconnect_s
        self.timeout_s = timeout_s
        self._connect = connect_packet(
            client_id, clean_session=clean_session, keepalive=keepalive,
            username=username or ep.username, password=password or ep.password,
        )  # fmt: skip
        self._headers: dict[str, bytes] = {}
        self._inflight: dict[int, bytes] = {}  # mid -> packet, in send order
        self._mid = 0
        self._out: list[bytes] = []
        self._out_bytes = 0
        self._cond = threading.Condition()
        self._wlock = threading.Lock()
        self._sock: socket.socket | None = None
        self._reader: threading.Thread | None = None
        self._lost: BaseException | None = None
        self._closing = False
        self._cancelled = False
        self._last_send = 0.0
        self._ping_sent = 0.0
        self.sent = 0  # PUBLISH packets handed over (resends not counted)
        self.acked = 0  # PUBACKs received for messages in flight
        self.reconnects = 0

    # -- connection --
    def connect(self) -> None:
        """Open the connection; raises on refusal, timeout or a socket error."""
        sock = socket.create_connection((self.host, self.port), timeout=self.timeout_s)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.sendall(self._connect)
            buf = b""
            while True:
                data = sock.recv(64)
                if not data:
                    raise MqttConnectionLost("the broker closed the connection before CONNACK")
                packets, buf = split_packets(buf + data)
                if packets:
                    break
            code = connack_code(packets[0])
            if code:
                raise MqttConnectRefused(code)
            sock.settimeout(None)
        except BaseException:
            sock.close()
            raise
        self._sock, self._lost, self._ping_sent = sock, None, 0.0
        self._last_send = time.monotonic()
        self._reader = threading.Thread(
            target=self._read, args=(sock, buf), name=f"mqtt-reader-{self.client_id}", daemon=True
        )
        self._reader.start()

    def _recover(self) -> None:
        """Reconnect after a loss and resend what is unacknowledged, with DUP."""
        cause = self._lost
        self._close_socket()
        self._out.clear()
        self._out_bytes = 0
        deadline = time.monotonic() + self.reconnect_s
        delay = 0.1
        while True:
            try:
                self.connect()
                break
            except MqttConnectRefused:
                raise
            except OSError as exc:
                if time.monotonic() + delay > deadline:
                    raise MqttConnectionLost(
                        f"MQTT connection to {self.host}:{self.port} lost ({cause}) and not"
                        f" re-established within {self.reconnect_s:.0f} s: {exc}"
                    ) from exc
                time.sleep(delay)
                delay = min(2.0, delay * 2)
        self.reconnects += 1
        with self._cond:
            resend = [with_dup(p) for p in self._inflight.values()]
        if resend:
            self._send(b"".join(resend))

    def _close_socket(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        if self._reader is not None and self._reader is not threading.current_thread():
            self._reader.join(5)
        self._reader = None

    def _send(self, data: bytes) -> None:
        sock = self._sock
        if sock is None:
            raise MqttConnectionLost("not connected")
        with self._wlock:
            try:
                sock.sendall(data)
            except OSError as exc:
                self._lost = exc
                return  # the next publish/flush/wait reconnects
            self._last_send = time.monotonic()

    # -- the reader thread --
    def _read(self, sock: socket.socket, buf: bytes) -> None:
        tick = max(0.2, min(1.0, self.keepalive / 4))
        try:
            while not self._closing:
                ready, _, _ = select.select([sock], [], [], tick)
                if not ready:
                    self._keepalive(sock)
                    continue
                data = sock.recv(65536)
                if not data:
                    raise MqttConnectionLost("the broker closed the connection")
                packets, buf = split_packets(buf + data)
                self._handle(packets)
                self._keepalive(sock)
        except (OSError, MqttProtocolError, ValueError) as exc:
            if not self._closing:
                self._lost = exc
        finally:
            with self._cond:
                self._cond.notify_all()

    def _handle(self, packets: list[tuple[int, bytes]]) -> None:
        inflight = self._inflight
        with self._cond:
            for first, body in packets:
                if first == PUBACK:
                    if inflight.pop(int.from_bytes(body[:2], "big"), None) is not None:
                        self.acked += 1
                elif first == PINGRESP:
                    self._ping_sent = 0.0
                else:
                    raise MqttProtocolError(f"unexpected packet type 0x{first:02x}")
            self._cond.notify_all()

    def _keepalive(self, sock: socket.socket) -> None:
        if not self.keepalive:
            return
        now = time.monotonic()
        if self._ping_sent and now - self._ping_sent > self.keepalive:
            raise MqttConnectionLost("no PINGRESP within the keepalive period")
        idle = now - self._last_send > self.keepalive / 2 and not self._ping_sent
        # a write in progress (lock taken) is activity enough
        if idle and self._wlock.acquire(blocking=False):
            try:
                sock.sendall(PINGREQ)
                self._ping_sent = self._last_send = now
            finally:
                self._wlock.release()

    # -- publishing --
    def publish(self, topic: str, payload: bytes, retain: bool = False) -> int:
        """Queue a QoS 1 PUBLISH (sent with the next ~64 KB, or :meth:`flush`); blocks
        while ``window`` messages are unacknowledged. Returns the packet id."""
        if self._lost is not None:
            self._recover()
        inflight = self._inflight
        if len(inflight) >= self.window:
            self._wait_room()
        header = self._headers.get(topic)
        if header is None:
            header = topic_header(topic)
            if len(self._headers) < HEADER_CACHE:
                self._headers[topic] = header
        mid = self._mid % 65535 + 1
        while mid in inflight:
            mid = mid % 65535 + 1
        self._mid = mid
        rest = len(header) + 2 + len(payload)
        packet = b"".join((
            b"\x33" if retain else b"\x32",
            bytes((rest,)) if rest < 128 else encode_varint(rest),
            header, mid.to_bytes(2, "big"), payload,
        ))  # fmt: skip
        inflight[mid] = packet
        self._out.append(packet)
        self._out_bytes += len(packet)
        self.sent += 1
        if self._out_bytes >= FLUSH_BYTES:
            self.flush()
        return mid

    def flush(self) -> None:
        """Write the queued packets to the socket."""
        if self._lost is not None:
            self._recover()
            return  # the recovery resent everything in flight
        if self._out:
            data = b"".join(self._out)
            self._out.clear()
            self._out_bytes = 0
            self._send(data)

    def _wait_room(self) -> None:
        self.flush()
        with self._cond:
            while len(self._inflight) >= self.window and self._lost is None:
                if self._cancelled:
                    raise PublishCancelled("publishing cancelled")
                self._cond.wait(0.5)
        if self._lost is not None:
            self._recover()

    @property
    def in_flight(self) -> int:
        return len(self._inflight)

    def wait_acked(self, timeout_s: float = 30.0) -> bool:
        """Flush and wait until nothing is in flight; False on timeout or cancel."""
        self.flush()
        deadline = time.monotonic() + timeout_s
        while True:
            with self._cond:
                while self._inflight and self._lost is None and not self._cancelled:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        return False
                    self._cond.wait(min(left, 0.5))
                if not self._inflight:
                    return True
                if self._cancelled:
                    return False
            self._recover()

    def cancel(self) -> None:
        """Make a publisher blocked on a full window raise :class:`PublishCancelled`."""
        self._cancelled = True
        with self._cond:
            self._cond.notify_all()

    def disconnect(self, timeout_s: float = 10.0) -> None:
        """Wait up to ``timeout_s`` for acknowledgements, then DISCONNECT and close."""
        if self._sock is not None and self._lost is None and not self._cancelled:
            with contextlib.suppress(ConnectionError):
                self.wait_acked(timeout_s)
        self._closing = True
        if self._sock is not None and self._lost is None:
            try:
                with self._wlock:
                    self._sock.sendall(DISCONNECT)
            except OSError:
                pass
        self._close_socket()

    def __enter__(self) -> FastPublisher:
        self.connect()
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.disconnect()
