"""The storer's second feed: after its commit, a batch's samples and terminal events go
to the detectors' stream, and the batch is acknowledged to MQTT only once RabbitMQ has
confirmed every message of it (publisher confirms: on a quorum queue, a confirm means a
majority of the nodes have it on disk).

A failure (a node lost, confirms late) raises :class:`ForwardError`; the ingest worker
retries the whole batch, so the stream is at least once: detectors drop samples older
than what they have seen, and alarms are idempotent.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractRobustConnection

from ingest.batch import Batch
from ingest.cluster import wire
from ingest.cluster.amqp import LoopThread, Nodes, declare_topology
from ingest.cluster.config import ClusterSettings

log = logging.getLogger(__name__)


class ForwardError(Exception):
    """The batch is not confirmed by the stream (retry it)."""


class StreamForwarder:
    """Publishes batches to the consistent-hash exchange and waits for the confirms."""

    def __init__(self, settings: ClusterSettings, name: str = "") -> None:
        self.settings = settings
        self.name = name or f"storer-{socket.gethostname()}-{os.getpid()}"
        self.nodes = Nodes(settings)
        self.published = 0  # AMQP messages confirmed
        self.batches = 0
        self._loop = LoopThread("stream-forwarder")
        self._connection: AbstractRobustConnection | None = None
        self._channel: AbstractChannel | None = None
        self._exchange: AbstractExchange | None = None

    def forward(self, batch: Batch) -> None:
        """Publish the batch's samples and events; return once all are confirmed."""
        if not batch.statuses and not batch.events:
            return
        bodies = wire.split(batch, self.settings.buckets)
        timeout = self.settings.confirm_timeout_s
        try:
            self._loop.run(self._publish(bodies), timeout + 1)
        except Exception as exc:
            self._loop.run(self._reset(), 5)
            raise ForwardError(repr(exc)) from exc
        self.published += len(bodies)
        self.batches += 1

    def close(self) -> None:
        try:
            self._loop.run(self._reset(), 5)
        finally:
            self._loop.close()

    async def _ready(self) -> AbstractExchange:
        if self._exchange is not None and self._channel is not None and not self._channel.is_closed:
            return self._exchange
        await self._reset()
        self._connection = await self.nodes.connect(self.name)
        self._channel = await self._connection.channel(publisher_confirms=True)
        self._exchange = await declare_topology(self._channel, self.settings)
        log.info("stream forwarder connected", extra={"storer": self.name})
        return self._exchange

    async def _publish(self, bodies: dict[int, bytes]) -> None:
        exchange = await self._ready()
        persistent = aio_pika.DeliveryMode.PERSISTENT
        confirms = [
            exchange.publish(
                aio_pika.Message(body, delivery_mode=persistent),
                routing_key=str(key),
                mandatory=True,
            )
            for key, body in bodies.items()
        ]
        await asyncio.wait_for(asyncio.gather(*confirms), self.settings.confirm_timeout_s)

    async def _reset(self) -> None:
        connection, self._connection = self._connection, None
        self._channel = self._exchange = None
        if connection is not None and not connection.is_closed:
            try:
                await asyncio.wait_for(connection.close(), 3)
            except Exception:
                log.debug("closing the AMQP connection failed", exc_info=True)
