"""The AMQP side: one connection to the first reachable node of the RabbitMQ cluster
(each URL in turn), an asyncio loop in a thread of its own for callers on threads, and
the topology (the consistent-hash exchange, the partitions: durable quorum queues with a
single active consumer, the members' fanout exchange)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractRobustConnection

from ingest.cluster.config import ClusterSettings

log = logging.getLogger(__name__)
T = TypeVar("T")
CONSISTENT_HASH = "x-consistent-hash"
PARTITION_ARGS: dict[str, Any] = {"x-queue-type": "quorum", "x-single-active-consumer": True}


class ClusterUnavailable(Exception):
    """No node of the RabbitMQ cluster could be reached."""


def partition_queue(settings: ClusterSettings, partition: int) -> str:
    return f"{settings.queue_prefix}{partition}"


class Nodes:
    """The cluster's nodes; :meth:`connect` tries each in turn, starting after the one
    used last (so a client whose node died moves on to the next)."""

    def __init__(self, settings: ClusterSettings) -> None:
        self.settings = settings
        self.urls = settings.urls()
        self._next = os.getpid()  # processes of one host start on different nodes

    async def connect(self, name: str) -> AbstractRobustConnection:
        if not self.urls:
            raise ClusterUnavailable("LIFTWATCH_CLUSTER__AMQP_URL is not set")
        errors = []
        for _ in range(len(self.urls)):
            url = self.urls[self._next % len(self.urls)]
            self._next += 1
            try:
                connection = await aio_pika.connect(
                    url,
                    timeout=self.settings.connect_timeout_s,
                    client_properties={"connection_name": name},
                )
            except (OSError, TimeoutError, aio_pika.exceptions.AMQPError) as exc:
                errors.append(f"{url.rsplit('@', 1)[-1]}: {exc!r}")
                continue
            self._next -= 1  # stay on this node while it lives
            return connection  # type: ignore[return-value]
        raise ClusterUnavailable("; ".join(errors))


async def declare_topology(channel: AbstractChannel, settings: ClusterSettings) -> AbstractExchange:
    """Declare (idempotently) the exchange and the partitions; returns the exchange."""
    exchange = await channel.declare_exchange(settings.exchange, CONSISTENT_HASH, durable=True)
    for partition in range(settings.partitions):
        queue = await channel.declare_queue(
            partition_queue(settings, partition), durable=True, arguments=PARTITION_ARGS
        )
        await queue.bind(exchange, routing_key="1")  # the binding key is the weight
    return exchange


class LoopThread:
    """An asyncio loop in a daemon thread, for blocking callers."""

    def __init__(self, name: str) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name=name, daemon=True)
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float) -> T:
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=5)
