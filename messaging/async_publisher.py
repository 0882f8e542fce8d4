"""An MQTT publisher on the asyncio event loop (aiomqtt), for the API process.

One task keeps a connection open (reconnecting with backoff) and sends what is queued,
in order, QoS as asked; :meth:`AsyncPublisher.publish` only queues, so it may be called
from the event loop or from a worker thread (the dispatch engine runs in one) and never
blocks. Messages queued while the broker is away go out after the reconnection; when more
than ``queue_size`` wait, the oldest are dropped (logged).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass

import aiomqtt

from messaging.client import MqttEndpoint

log = logging.getLogger(__name__)

RECONNECT_MIN_S = 1.0
RECONNECT_MAX_S = 30.0


@dataclass(frozen=True)
class Outgoing:
    topic: str
    payload: bytes | str
    qos: int = 1
    retain: bool = False


class AsyncPublisher:
    """A publisher whose connection lives on the running event loop; see the module doc."""

    def __init__(self, url: str, client_id: str = "", queue_size: int = 10_000) -> None:
        self._endpoint = MqttEndpoint.parse(url)
        self._client_id = client_id or None
        self._queue: asyncio.Queue[Outgoing] = asyncio.Queue(maxsize=queue_size)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._connected = asyncio.Event()

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    async def start(self) -> None:
        """Start connecting in the background (does not wait for the broker)."""
        self._loop = asyncio.get_running_loop()
        self._task = asyncio.create_task(self._run(), name="liftwatch-mqtt-publisher")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self._connected.clear()

    async def wait_connected(self, timeout_s: float) -> bool:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout_s):
                await self._connected.wait()
        return self.connected

    def publish(self, topic: str, payload: bytes | str, qos: int = 1, retain: bool = False) -> None:
        """Queue one message; callable from any thread."""
        if self._loop is None or self._loop.is_closed():
            log.warning("MQTT publisher not running; dropped a message to %s", topic)
            return
        self._loop.call_soon_threadsafe(self._enqueue, Outgoing(topic, payload, qos, retain))

    def _enqueue(self, message: Outgoing) -> None:
        if self._queue.full():
            dropped = self._queue.get_nowait()
            log.warning("MQTT outbox full; dropped the oldest message (to %s)", dropped.topic)
        self._queue.put_nowait(message)

    def _client(self) -> aiomqtt.Client:
        ep = self._endpoint
        return aiomqtt.Client(
            ep.host,
            ep.port,
            username=ep.username,
            password=ep.password,
            identifier=self._client_id,
            keepalive=30,
        )

    async def _run(self) -> None:
        backoff = RECONNECT_MIN_S
        pending: Outgoing | None = None  # taken from the queue, not yet acknowledged
        while True:
            try:
                async with self._client() as client:
                    self._connected.set()
                    backoff = RECONNECT_MIN_S
                    while True:
                        pending = pending or await self._next(client)
                        await client.publish(
                            pending.topic, pending.payload, pending.qos, pending.retain
                        )
                        pending = None
            except aiomqtt.MqttError as exc:
                log.warning("MQTT connection lost or refused (%s); retry in %.0f s", exc, backoff)
            finally:
                self._connected.clear()
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, RECONNECT_MAX_S)

    async def _next(self, client: aiomqtt.Client) -> Outgoing:
        """The next queued message; raises :class:`aiomqtt.MqttError` if the connection
        drops while waiting (noticed through the client's message iterator)."""
        get = asyncio.ensure_future(self._queue.get())
        lost = asyncio.ensure_future(anext(client.messages))
        try:
            await asyncio.wait((get, lost), return_when=asyncio.FIRST_COMPLETED)
        finally:
            lost.cancel()
            if not get.done():
                get.cancel()
        error = lost.exception() if lost.done() and not lost.cancelled() else None
        if get.done() and not get.cancelled():
            return get.result()  # if the connection dropped too, publishing it will fail
        raise aiomqtt.MqttError("disconnected while waiting for a message") from error
