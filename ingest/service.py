"""The ingest service: wires the MQTT receiver (:mod:`ingest.receiver`), the decoder
(:mod:`ingest.decode`), the batch writer (:mod:`ingest.store`, over
:mod:`ingest.database`) and the stages behind it (:mod:`ingest.feed`) around one worker
thread (:mod:`ingest.worker`); and the dead-letter list for the API.

Guarantees: a message is acknowledged only after its data (or its dead letter) is
committed; writes are idempotent, so a redelivery after a crash stores nothing twice.
While the database is unreachable the worker retries the same batch with backoff and
acknowledges nothing; the receiver's buffer is bounded, so the broker keeps the rest.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import psycopg

from ingest.batch import BatchConsumer
from ingest.config import IngestSettings
from ingest.database import DatabaseLink
from ingest.decode import MessageDecoder
from ingest.feed import Feeder, Forwarder
from ingest.metrics import IngestMetrics
from ingest.presence import PresenceTracker
from ingest.receiver import Receiver
from ingest.registry import ElevatorRegistry
from ingest.repository.dead_letters import StoredDeadLetter, fetch_dead_letters
from ingest.worker import IngestWorker


class IngestService:
    name = "ingest"

    def __init__(
        self,
        settings: IngestSettings,
        database_url: str,
        mqtt_url: str,
        topic_root: str = "liftwatch/v1",
        consumers: Sequence[BatchConsumer] = (),
        *,
        forwarder: Forwarder | None = None,
        share_group: str = "",
    ) -> None:
        """``forwarder`` and ``share_group``: the cluster mode's storer (a second feed
        before the acknowledgement; a shared subscription)."""
        self.settings = settings
        self.database_url = database_url
        self.metrics = IngestMetrics()
        self.registry = ElevatorRegistry(settings.registry_refresh_s)
        self.presence = PresenceTracker(settings.heartbeat_intervals)
        self.decoder = MessageDecoder(
            self.registry, topic_root, settings.max_payload_bytes,
            settings.dead_letter_payload_bytes, settings.max_future_s, settings.max_past_s,
        )  # fmt: skip
        self.receiver = Receiver(
            mqtt_url, settings.client_id, topic_root, settings.max_buffer, self.metrics,
            settings.keepalive_s, settings.max_buffer_bytes, share_group,
        )  # fmt: skip
        self.feeder = Feeder(consumers, self.metrics, forwarder)
        self._stop = threading.Event()
        self.database = DatabaseLink(database_url, settings, self.metrics, self._stop)
        self.worker = IngestWorker(
            settings, self.database, self.receiver, self.decoder, self.presence, self.feeder,
            self.metrics, self._stop,
        )  # fmt: skip
        self._thread: threading.Thread | None = None
        self._metrics_server: Any = None

    @property
    def ready(self) -> threading.Event:
        """Set once the database is set up and the worker runs."""
        return self.worker.ready

    @property
    def failed(self) -> bool:
        return self.worker.failed

    @property
    def committed_batches(self) -> int:
        return self.worker.committed_batches

    def start(self) -> None:
        if self.settings.metrics_port:
            self._metrics_server = self.metrics.serve(self.settings.metrics_port)
        self._thread = threading.Thread(target=self.worker.run, name="ingest-worker", daemon=True)
        self._thread.start()
        self.receiver.start()

    def stop(self) -> None:
        self._stop.set()
        self.receiver.wakeup.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        self.receiver.stop()
        self.database.close()
        if self._metrics_server is not None:
            self._metrics_server.shutdown()
            self._metrics_server.server_close()
            self._metrics_server = None

    def run_until(self, stop: threading.Event) -> None:
        """For the command line: run until ``stop`` is set (or the worker fails)."""
        self.start()
        try:
            while not stop.wait(0.5) and not self._stop.is_set():
                pass
        finally:
            self.stop()


async def list_dead_letters(
    conn: psycopg.AsyncConnection[Any],
    reason: str | None,
    since: datetime | None,
    preview_bytes: int,
    limit: int,
    offset: int,
) -> list[StoredDeadLetter]:
    """Messages ingest refused, newest first, with the start of each payload."""
    return await fetch_dead_letters(conn, reason, since, preview_bytes, limit, offset)
