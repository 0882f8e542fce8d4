"""Feeding the stages behind ingest (detectors): each committed batch, and a tick about
once a second. A failing stage is logged and counted; ingest goes on.

Two feeds from the one ingest core: in process (the stages, ``consumers``), and, in the
cluster mode, a ``forwarder`` (:class:`ingest.cluster.forwarder.StreamForwarder`) to which
each committed batch is handed *before* it is acknowledged to the broker; it returns once
the batch is durable in the detectors' stream, or raises (the worker retries)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Protocol

from ingest.batch import Batch, BatchConsumer, PresenceChange
from ingest.decode import Decoded
from ingest.metrics import IngestMetrics

log = logging.getLogger(__name__)


class Forwarder(Protocol):
    def forward(self, batch: Batch) -> None:
        """Return once the batch is durably handed on; raise to have it retried."""


class Feeder:
    def __init__(
        self,
        consumers: Sequence[BatchConsumer],
        metrics: IngestMetrics,
        forwarder: Forwarder | None = None,
    ) -> None:
        self.consumers = list(consumers)
        self.metrics = metrics
        self.forwarder = forwarder

    def __bool__(self) -> bool:
        return bool(self.consumers)

    @staticmethod
    def batch_of(decoded: Decoded, presence: list[PresenceChange], now_ms: int) -> Batch:
        return Batch(
            statuses=[(row[0].elevator_id, row[1]) for row in decoded.statuses],
            events=[(row[0].elevator_id, row[1]) for row in decoded.events],
            presence=list(presence),
            received_at_ms=now_ms,
        )

    def forward(self, batch: Batch) -> None:
        """Hand the batch to the forwarder (if any); raises if it is not taken."""
        if self.forwarder is not None:
            self.forwarder.forward(batch)

    def feed(
        self,
        decoded: Decoded,
        presence: list[PresenceChange],
        now_ms: int,
        batch: Batch | None = None,
    ) -> None:
        if batch is None:
            batch = self.batch_of(decoded, presence, now_ms)
        for consumer in self.consumers:
            try:
                consumer.consume(batch)
            except Exception:
                self.metrics.consumer_errors.inc()
                log.exception("batch consumer failed")

    def tick(self, now_ms: int) -> None:
        for consumer in self.consumers:
            try:
                consumer.tick(now_ms)
            except Exception:
                self.metrics.consumer_errors.inc()
                log.exception("batch consumer tick failed")
