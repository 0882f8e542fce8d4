"""Prometheus metrics of one ingest service (its own registry, so several services can
live in one process, as in tests)."""

from __future__ import annotations

from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

from domain.validation import DeadLetterReason


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
