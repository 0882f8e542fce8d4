"""Prometheus metrics of one ingest service (its own registry, so several services can
live in one process, as in tests)."""

from __future__ import annotations

from typing import TYPE_CHECKING
from wsgiref.simple_server import WSGIServer

import numpy as np
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

from domain.validation import DeadLetterReason

if TYPE_CHECKING:
    from ingest.batch import PresenceChange
    from ingest.decode import Decoded
    from ingest.store import WriteResult


class IngestMetrics:
    def __init__(self) -> None:
        r = self.registry = CollectorRegistry()
        self.received = Counter(
            "liftwatch_ingest_received", "MQTT messages received", ["kind"], registry=r
        )
        self.stored = Counter("liftwatch_ingest_stored", "Rows newly stored", ["table"], registry=r)
        self.duplicates = Counter(
            "liftwatch_ingest_duplicates", "Redelivered messages already stored", registry=r
        )
        self.dead_letters = Counter(
            "liftwatch_ingest_dead_letters", "Messages dead-lettered", ["reason"], registry=r
        )
        for reason in DeadLetterReason:
            self.dead_letters.labels(reason.value)
        self.batch_size = Histogram(
            "liftwatch_ingest_batch_size",
            "Messages per committed batch",
            buckets=(1, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 50000),
            registry=r,
        )
        self.commit_seconds = Histogram(
            "liftwatch_ingest_commit_seconds",
            "Time to write and commit one batch",
            buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
            registry=r,
        )
        self.lag_seconds = Histogram(
            "liftwatch_ingest_lag_seconds",
            "Event time to commit, per status/event message",
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
            registry=r,
        )
        self.buffer_depth = Gauge(
            "liftwatch_ingest_buffer_depth", "Messages received, not yet committed", registry=r
        )
        self.db_errors = Counter(
            "liftwatch_ingest_db_errors", "Failed batch writes (retried)", registry=r
        )
        self.connected = Gauge(
            "liftwatch_ingest_mqtt_connected", "1 while connected to the broker", registry=r
        )
        self.presence = Counter(
            "liftwatch_ingest_presence_changes", "Terminals going offline/online", ["to"],
            registry=r,
        )  # fmt: skip
        self.consumer_errors = Counter(
            "liftwatch_ingest_consumer_errors", "Batch consumers that raised", registry=r
        )

    def serve(self, port: int, addr: str = "0.0.0.0") -> WSGIServer:
        server, _thread = start_http_server(port, addr=addr, registry=self.registry)
        return server

    def count_batch(
        self,
        messages: int,
        decoded: Decoded,
        result: WriteResult,
        presence: list[PresenceChange],
        elapsed: float,
        commit_ms: int,
    ) -> float:
        """Count a committed batch; returns its median event-time lag (s)."""
        self.received.labels("status").inc(len(decoded.statuses))
        self.received.labels("event").inc(len(decoded.events))
        self.received.labels("online").inc(len(decoded.online))
        self.received.labels("invalid").inc(len(decoded.dead))
        self.stored.labels("telemetry").inc(result.stored)
        self.stored.labels("terminal_events").inc(result.events_stored)
        self.duplicates.inc(result.duplicates)
        for letter in decoded.dead:
            self.dead_letters.labels(letter.reason.value).inc()
        for change in presence:
            self.presence.labels("online" if change.online else "offline").inc()
        self.batch_size.observe(messages)
        self.commit_seconds.observe(elapsed)
        return self._observe_lags(decoded, commit_ms)

    def _observe_lags(self, decoded: Decoded, commit_ms: int) -> float:
        observe = self.lag_seconds.observe
        median = 0.0
        for rows in (decoded.statuses, decoded.events):
            if rows:
                ts = np.fromiter((row[1].ts for row in rows), dtype=np.int64, count=len(rows))
                lags = np.percentile(commit_ms - ts, (50, 90, 99, 100)) / 1000.0
                for lag in lags:
                    observe(float(lag))
                median = max(median, float(lags[0]))
        return median
