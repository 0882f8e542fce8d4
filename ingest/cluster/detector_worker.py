"""A detector worker of the cluster: owns some partitions of the detectors' stream and
runs their elevators through a :class:`~ingest.detect_stage.DetectStage`.

- **Membership**: every worker announces itself on a fanout exchange each
  ``heartbeat_s``; the live members are those heard within ``member_timeout_s``.
- **Balancing**: each worker computes the same assignment from its view
  (:func:`ingest.cluster.balance.assign`) and consumes exactly its partitions, one AMQP
  channel each; a partition it no longer owns is released by closing its channel (its
  unacknowledged deliveries go back to the queue). Single active consumer on every
  queue keeps two workers from consuming one partition at once while their views
  differ for a moment.
- **Take-over**: at the first delivery after it subscribed, a worker restores the
  detectors of the partition's elevators by replaying their stored telemetry of the last
  ``restore_window_s`` (:meth:`DetectStage.restore`), so an entrapment in progress still
  fires at T; samples the replay already covered are dropped by the detectors as late.
  Which elevators a partition holds is learned from deliveries (bucket -> partition) and
  kept in PostgreSQL (:mod:`ingest.cluster.routing_repository`).
- **At least once**: deliveries are acknowledged after the detectors ran them; alarms
  are idempotent (identity: elevator, type, onset), so a redelivery raises nothing twice.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aio_pika
import msgspec
import psycopg
from aio_pika.abc import (
    AbstractChannel,
    AbstractExchange,
    AbstractIncomingMessage,
    AbstractRobustConnection,
)

from ingest.cluster import wire
from ingest.cluster.amqp import PARTITION_ARGS, Nodes, declare_topology, partition_queue
from ingest.cluster.balance import Membership, assign
from ingest.cluster.config import ClusterSettings
from ingest.cluster.routing_repository import fetch_routing, learn_routing
from ingest.detect_stage import DetectStage

log = logging.getLogger(__name__)


class _Heartbeat(msgspec.Struct):
    member: str
    leaving: bool = False


@dataclass
class Stint:
    """One uninterrupted ownership of a partition by this worker (for the trace)."""

    partition: int
    subscribed: float
    first: float = 0.0  # wall clock of the first and last delivery processed
    last: float = 0.0
    elevators: set[int] = field(default_factory=set)
    released: float = 0.0  # wall clock of the release (0: still owned)


@dataclass
class _Owned:
    partition: int
    channel: AbstractChannel
    stint: Stint
    pending: list[AbstractIncomingMessage] = field(default_factory=list)
    wakeup: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None
    restored: bool = False


class DetectorWorker:
    def __init__(
        self,
        settings: ClusterSettings,
        stage: DetectStage,
        database_url: str,
        worker_id: str,
        *,
        trace: bool = False,
    ) -> None:
        self.settings = settings
        self.stage = stage
        self.database_url = database_url
        self.worker_id = worker_id
        self.nodes = Nodes(settings)
        self.membership = Membership(settings.member_timeout_s)
        self.owned: dict[int, _Owned] = {}
        self.routing: dict[int, int] = {}  # bucket -> partition
        self.trace = trace
        self.stints: list[Stint] = []  # finished and current (when tracing)
        self.counts = {
            "deliveries": 0, "samples": 0, "restores": 0, "restored_samples": 0,
            "late_replays": 0,
        }  # fmt: skip
        self._newest: dict[int, int] = {}  # elevator -> newest sample time run (ms)
        self.connected = asyncio.Event()
        # Restores and forgets run in order on one thread (the stage is thread-safe).
        self._db = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="detector-db")

    # ---- the session ----------------------------------------------------------------------
    async def run(self, stop: asyncio.Event) -> None:
        """Until ``stop``: connect to any node, take part, reconnect after a loss."""
        while not stop.is_set():
            try:
                await self._session(stop)
            except Exception as exc:  # noqa: BLE001 - any loss: reconnect
                log.warning("detector worker lost its session", extra={"error": repr(exc)})
            self.connected.clear()
            await self._release_all()
            if not stop.is_set():
                await _wait(stop, 1.0)
        self._db.shutdown(wait=True)

    async def _session(self, stop: asyncio.Event) -> None:
        connection = await self.nodes.connect(self.worker_id)
        try:
            control = await connection.channel()
            await declare_topology(control, self.settings)
            members = await control.declare_exchange(
                self.settings.members_exchange, aio_pika.ExchangeType.FANOUT, durable=True
            )
            inbox = await control.declare_queue(exclusive=True, auto_delete=True)
            await inbox.bind(members)
            await inbox.consume(self._on_heartbeat, no_ack=True)
            self.routing = await self._in_db(self._load_routing)
            self.connected.set()
            log.info("detector worker joined", extra={"worker": self.worker_id})
            # heartbeats on their own task: a slow take-over must not look like a death
            beating = asyncio.create_task(self._beat(members, stop))
            try:
                while not stop.is_set() and not beating.done():
                    await self._rebalance(connection)
                    await _wait(stop, self.settings.heartbeat_s)
                    if connection.is_closed:
                        raise ConnectionError("AMQP connection closed")
            finally:
                beating.cancel()
            if beating.done() and not beating.cancelled() and beating.exception():
                raise ConnectionError("heartbeats failed") from beating.exception()
            leaving = msgspec.json.encode(_Heartbeat(self.worker_id, leaving=True))
            await self._release_all()
            await members.publish(aio_pika.Message(leaving), routing_key="")
        finally:
            if not connection.is_closed:
                await connection.close()

    async def _beat(self, members: AbstractExchange, stop: asyncio.Event) -> None:
        beat = msgspec.json.encode(_Heartbeat(self.worker_id))
        while not stop.is_set():
            await members.publish(aio_pika.Message(beat), routing_key="")
            self.membership.heard(self.worker_id, time.monotonic())
            if self.settings.alive_file:
                await self._in_db(Path(self.settings.alive_file).touch)
            await _wait(stop, self.settings.heartbeat_s)

    async def _on_heartbeat(self, message: AbstractIncomingMessage) -> None:
        try:
            beat = msgspec.json.decode(message.body, type=_Heartbeat)
        except msgspec.DecodeError:
            return
        if beat.leaving:
            self.membership.left(beat.member)
        else:
            self.membership.heard(beat.member, time.monotonic())

    def desired(self) -> set[int]:
        live = self.membership.live(time.monotonic()) | {self.worker_id}
        return set(assign(self.settings.partitions, live)[self.worker_id])

    async def _rebalance(self, connection: AbstractRobustConnection) -> None:
        desired = self.desired()
        for partition, owned in list(self.owned.items()):
            failed = owned.task is not None and owned.task.done()
            if failed and owned.task is not None and not owned.task.cancelled():
                log.error(
                    "partition processing failed; resubscribing",
                    exc_info=owned.task.exception(), extra={"partition": partition},
                )  # fmt: skip
            if partition not in desired or owned.channel.is_closed or failed:
                await self._release(partition)
        for partition in sorted(desired - set(self.owned)):
            await self._subscribe(connection, partition)

    # ---- partitions -------------------------------------------------------------------------
    async def _subscribe(self, connection: AbstractRobustConnection, partition: int) -> None:
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=self.settings.prefetch)
        queue = await channel.declare_queue(
            partition_queue(self.settings, partition), durable=True, arguments=PARTITION_ARGS
        )
        owned = _Owned(partition, channel, Stint(partition, time.time()))
        self.owned[partition] = owned
        if self.trace:
            self.stints.append(owned.stint)

        async def deliver(message: AbstractIncomingMessage) -> None:
            owned.pending.append(message)
            owned.wakeup.set()

        owned.task = asyncio.create_task(self._process_loop(owned))
        await queue.consume(deliver)
        log.info("partition subscribed", extra={"partition": partition})

    async def _release(self, partition: int) -> None:
        owned = self.owned.pop(partition)
        owned.stint.released = time.time()
        if owned.task is not None:
            owned.task.cancel()
            await asyncio.gather(owned.task, return_exceptions=True)
        if not owned.channel.is_closed:
            try:  # unacknowledged deliveries go back to the queue (never cancel a close:
                await owned.channel.close()  # the broker then drops the whole connection)
            except Exception:
                log.debug("closing a partition channel failed", exc_info=True)
        elevators = self._elevators_of(partition)
        for elevator_id in elevators:
            self._newest.pop(elevator_id, None)
        if elevators:  # its detectors now live elsewhere: drop their state and timers
            self.stage.forget(elevators)
        log.info("partition released", extra={"partition": partition})

    async def _release_all(self) -> None:
        for partition in list(self.owned):
            await self._release(partition)

    async def _process_loop(self, owned: _Owned) -> None:
        while True:
            await owned.wakeup.wait()
            owned.wakeup.clear()
            messages, owned.pending = owned.pending, []
            if messages:
                await self._process(owned, messages)

    async def _process(self, owned: _Owned, messages: list[AbstractIncomingMessage]) -> None:
        parts = [wire.decode(message.body) for message in messages]
        buckets = {int(message.routing_key or 0) for message in messages}
        new = {b: owned.partition for b in buckets if self.routing.get(b) != owned.partition}
        if new:
            self.routing.update(new)
            await self._in_db(lambda: self._learn(new))
        if not owned.restored:
            await self._take_over(owned)
        if owned.channel.is_closed:
            return  # lost meanwhile: the broker gives these deliveries to the next owner
        batch = wire.to_batch(parts)
        late = self._late(batch)
        self.stage.consume(batch)
        if late:  # an earlier sample came after a later one (through another storer)
            await self._replay(sorted(late))
        stint = owned.stint
        stint.last = time.time()
        stint.first = stint.first or stint.last
        if self.trace:
            stint.elevators.update(e for e, _ in batch.statuses)
            stint.elevators.update(e for e, _ in batch.events)
        self.counts["deliveries"] += len(messages)
        self.counts["samples"] += len(batch.statuses) + len(batch.events)
        await messages[-1].ack(multiple=True)

    async def _take_over(self, owned: _Owned) -> None:
        # what the previous owners learned (they wrote it before acknowledging)
        learned = await self._in_db(self._load_routing)
        for bucket, partition in learned.items():
            self.routing.setdefault(bucket, partition)
        elevators = self._elevators_of(owned.partition)
        until_ms = int(time.time() * 1000)
        since_ms = until_ms - int(self.settings.restore_window_s * 1000)
        replayed = await self._in_db(lambda: self.stage.restore(elevators, since_ms, until_ms))
        owned.restored = True
        self.counts["restores"] += 1
        self.counts["restored_samples"] += replayed
        log.info(
            "partition taken over",
            extra={"partition": owned.partition, "elevators": len(elevators), "samples": replayed},
        )

    def _late(self, batch: wire.Batch) -> set[int]:
        """Elevators with a sample older than one already run through the detectors.

        Storers commit concurrently, so one elevator's samples can reach the stream out of
        order; the detectors drop a late sample, which could move an onset. Such elevators
        are replayed from the database (which has every sample the stream carries)."""
        newest = self._newest
        late = set()
        for elevator_id, status in batch.statuses:
            seen = newest.get(elevator_id, 0)
            if status.ts < seen:
                late.add(elevator_id)
            else:
                newest[elevator_id] = status.ts
        return late

    async def _replay(self, elevators: list[int]) -> None:
        until_ms = int(time.time() * 1000)
        since_ms = until_ms - int(self.settings.restore_window_s * 1000)
        await self._in_db(lambda: self.stage.restore(elevators, since_ms, until_ms))
        self.counts["late_replays"] += len(elevators)

    def _elevators_of(self, partition: int) -> list[int]:
        buckets = {b for b, p in self.routing.items() if p == partition}
        count = self.settings.buckets
        return [e for e in list(self.stage.elevators) if e % count in buckets]

    # ---- the database ------------------------------------------------------------------------
    async def _in_db(self, call: Callable[[], Any]) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._db, call)

    def _load_routing(self) -> dict[int, int]:
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            return fetch_routing(conn, self.settings.buckets, self.settings.partitions)

    def _learn(self, learned: dict[int, int]) -> None:
        try:
            with psycopg.connect(self.database_url, autocommit=True) as conn:
                learn_routing(conn, self.settings.buckets, self.settings.partitions, learned)
        except psycopg.Error:
            log.exception("saving the learned routing failed")


async def _wait(event: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(event.wait(), seconds)
