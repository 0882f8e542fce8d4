"""Feeding the stages behind ingest (detectors): each committed batch, and a tick about
once a second. A failing stage is logged and counted; ingest goes on."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from ingest.batch import Batch, BatchConsumer, PresenceChange
from ingest.decode import Decoded
from ingest.metrics import IngestMetrics

log = logging.getLogger(__name__)


class Feeder:
    def __init__(self, consumers: Sequence[BatchConsumer], metrics: IngestMetrics) -> None:
        self.consumers = list(consumers)
        self.metrics = metrics

    def __bool__(self) -> bool:
        return bool(self.consumers)

    def feed(self, decoded: Decoded, presence: list[PresenceChange], now_ms: int) -> None:
        batch = Batch(
            statuses=[(row[0].elevator_id, row[1]) for row in decoded.statuses],
            events=[(row[0].elevator_id, row[1]) for row in decoded.events],
            presence=list(presence),
            received_at_ms=now_ms,
        )
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
