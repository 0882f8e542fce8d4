"""The MQTT side of ingest: a persistent QoS 1 session with manual acknowledgements.

The paho network thread only appends ``(topic, payload, mid, qos, generation,
received_ms)`` to a bounded buffer; the ingest worker takes batches from it and, after
their commit, acknowledges them with :meth:`Receiver.ack`. Acknowledgements are only
sent for messages of the current connection (*generation*): after a reconnect the broker
redelivers everything unacknowledged of the persistent session, and a packet id of the
old connection may already name another message on the new one.

The buffer is bounded in messages (``max_buffer``) and in topic + payload bytes
(``max_buffer_bytes``). When either bound is reached the network thread waits, so it
stops reading the socket and the broker holds the rest (with mosquitto's
``max_inflight_messages`` the broker stops sending long before that: nothing is
acknowledged, nothing more is sent). A message is never dropped: one larger than the
byte bound is taken alone once the buffer is empty (the broker's ``max_packet_size``
bounds its size).
"""

from __future__ import annotations

import logging
import struct
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode
from paho.mqtt.reasoncodes import ReasonCode

from ingest.decode import Buffer, Incoming
from ingest.metrics import IngestMetrics
from messaging.client import MqttEndpoint

log = logging.getLogger(__name__)
_PUBACK = struct.Struct("!BBH")


class BufferedClient(mqtt.Client):
    """A paho client that reads the socket in 64 KiB chunks.

    Stock paho reads each packet with two or three small ``recv`` calls and waits in
    ``select`` once per packet; this serves those reads from a buffer and keeps reading
    while the buffer holds data. Everything else is paho's own protocol handling. (These
    overrides touch paho internals: paho is pinned to 2.x in pyproject.toml, and the
    integration tests exercise them.)
    """

    _rbuf: bytes = b""
    _rpos: int = 0
    # Receives (topic, payload, mid, qos) of each QoS 0/1 PUBLISH; set by the Receiver.
    _sink: Callable[[Buffer, Buffer, int, int], None] | None = None

    def _sock_recv(self, bufsize: int) -> bytes:
        if self._rpos >= len(self._rbuf):
            data = super()._sock_recv(65536)
            if not data:
                return data
            self._rbuf, self._rpos = data, 0
        pos = self._rpos
        out = self._rbuf[pos : pos + bufsize]
        self._rpos = pos + len(out)
        return out

    def loop_read(self, max_packets: int = 1) -> Any:
        rc = super().loop_read(max_packets)
        while rc == 0 and self._rpos < len(self._rbuf):
            rc = super().loop_read(1)
        return rc

    def _handle_publish(self) -> Any:
        # MQTT 3.1.1 QoS 0/1 PUBLISH parsed here and handed to the sink, without paho's
        # MQTTMessage (a threading.Condition per message), logging and topic decoding.
        # Acks are manual, so nothing is sent here. Anything else: paho's own path.
        sink = self._sink
        header = self._in_packet["command"]
        qos = (header & 0x06) >> 1
        if sink is None or qos == 2 or not self._manual_ack or self._protocol == mqtt.MQTTv5:
            return super()._handle_publish()
        packet = self._in_packet["packet"]
        slen = (packet[0] << 8) | packet[1] if len(packet) >= 2 else 0
        if slen == 0 or len(packet) < 2 + slen + (2 if qos else 0):
            return super()._handle_publish()  # malformed: let paho report it
        topic = packet[2 : 2 + slen]
        if qos:
            mid = (packet[2 + slen] << 8) | packet[3 + slen]
            payload = packet[4 + slen :]
        else:
            mid, payload = 0, packet[2 + slen :]
        sink(topic, payload, mid, qos)
        return MQTTErrorCode.MQTT_ERR_SUCCESS

    def _handle_on_message(self, message: mqtt.MQTTMessage) -> None:
        # Straight to on_message: ingest uses no per-topic callbacks, so paho's topic
        # matcher (and the topic decoding it needs) is skipped.
        on_message = self.on_message
        if on_message is not None:
            on_message(self, self._userdata, message)

    def reconnect(self) -> Any:
        self._rbuf, self._rpos = b"", 0
        return super().reconnect()


def _buffered_client(url: str, client_id: str) -> BufferedClient:
    """Like :func:`messaging.client.new_client` (persistent session, manual acks)."""
    endpoint = MqttEndpoint.parse(url)
    client = BufferedClient(
        CallbackAPIVersion.VERSION2,
        client_id=client_id,
        clean_session=False,
        protocol=mqtt.MQTTv311,
        manual_ack=True,
    )
    if endpoint.username:
        client.username_pw_set(endpoint.username, endpoint.password)
    return client


class Receiver:
    def __init__(
        self,
        url: str,
        client_id: str,
        topic_root: str,
        max_buffer: int,
        metrics: IngestMetrics,
        keepalive_s: int = 30,
        max_buffer_bytes: int = 64 * 1024 * 1024,
        share_group: str = "",
    ) -> None:
        self.buffer: deque[Incoming] = deque()
        self.wakeup = threading.Event()
        self.generation = 0
        self._ack_lock = threading.Lock()
        self._max_buffer = max_buffer
        self._max_bytes = max_buffer_bytes
        # Bytes appended (network thread only) and taken (worker only): each counter has
        # one writer, so their difference is the buffer's size without a lock.
        self._bytes_in = 0
        self._bytes_out = 0
        self.url = url
        self._keepalive = keepalive_s
        self._subscription = topic_root.rstrip("/") + "/#"
        if share_group:  # several storers share the terminals' messages (cluster mode)
            self._subscription = f"$share/{share_group}/{self._subscription}"
        self._stopping = False
        self._metrics = metrics
        self.connected = threading.Event()
        # Set once the subscription is in place (SUBACK, or a resumed session that has it).
        self.subscribed = threading.Event()
        self.client = _buffered_client(url, client_id)
        self.client.reconnect_delay_set(min_delay=1, max_delay=10)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.client.on_subscribe = self._on_subscribe
        self.client._sink = self._on_publish

    def start(self) -> None:
        endpoint = MqttEndpoint.parse(self.url)
        self.client.connect_async(endpoint.host, endpoint.port, keepalive=self._keepalive)
        self.client.loop_start()

    def stop(self) -> None:
        self._stopping = True
        try:
            self.client.disconnect()
        finally:
            self.client.loop_stop()

    # -- paho callbacks (network thread) -------------------------------------------------
    def _on_connect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: ReasonCode, props: Any = None
    ) -> None:
        if reason.is_failure:
            log.warning("mqtt connect refused", extra={"reason": str(reason)})
            return
        with self._ack_lock:
            self.generation += 1
        self.connected.set()
        self._metrics.connected.set(1)
        present = bool(getattr(flags, "session_present", False))
        log.info("mqtt connected", extra={"session_present": present})
        if not present:
            # A resumed session keeps its subscription; subscribing again would make the
            # broker resend every retained online message of the fleet.
            client.subscribe(self._subscription, qos=1)
        else:
            self.subscribed.set()

    def _on_subscribe(self, client: mqtt.Client, userdata: Any, mid: int, *rest: Any) -> None:
        self.subscribed.set()

    def _on_disconnect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: ReasonCode, props: Any = None
    ) -> None:
        with self._ack_lock:
            self.generation += 1
        self.connected.clear()
        self.subscribed.clear()
        self._metrics.connected.set(0)
        if not self._stopping:
            log.warning("mqtt disconnected; reconnecting", extra={"reason": str(reason)})

    def _on_message(self, client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        self._on_publish(msg._topic, msg.payload, msg.mid, msg.qos)

    @property
    def buffered_bytes(self) -> int:
        """Topic + payload bytes received and not yet taken by the worker."""
        return self._bytes_in - self._bytes_out

    def _full(self, size: int) -> bool:
        pending = self.buffer
        if not pending:
            return False  # an empty buffer takes any message: never drop one
        return (
            len(pending) >= self._max_buffer
            or self._bytes_in - self._bytes_out + size > self._max_bytes
        )

    def _on_publish(self, topic: Buffer, payload: Buffer, mid: int, qos: int) -> None:
        pending = self.buffer
        size = len(topic) + len(payload)
        if self._full(size):
            # Stop reading the socket until the worker frees room: nothing unbuffered
            # is acknowledged, the broker keeps it.
            while self._full(size) and not self._stopping:
                time.sleep(0.01)
        self._bytes_in += size
        pending.append((topic, payload, mid, qos, self.generation, int(time.time() * 1000)))
        if len(pending) == 1:
            self.wakeup.set()

    # -- worker side -------------------------------------------------------------------
    def take(self, limit: int) -> list[Incoming]:
        pending = self.buffer
        count = min(limit, len(pending))
        popleft = pending.popleft
        items = [popleft() for _ in range(count)]
        self._bytes_out += sum([len(item[0]) + len(item[1]) for item in items])
        return items

    def ack(self, items: list[Incoming]) -> int:
        """Acknowledge committed messages of the current connection, in order."""
        client = self.client
        with self._ack_lock:
            generation = self.generation
            mids = [item[2] for item in items if item[3] == 1 and item[4] == generation]
            if not mids:
                return 0
            queue = getattr(client, "_packet_queue", None)
            if queue is not None:
                # All PUBACKs of the batch as one write instead of one queued packet each.
                data = b"".join([_PUBACK.pack(0x40, 2, mid) for mid in mids])
                queue(0x40, data, 0, 1)
            else:
                for mid in mids:
                    client.ack(mid, 1)
        return len(mids)
