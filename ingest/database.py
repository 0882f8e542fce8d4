"""Ingest's database connection: connect with backoff, and run an action until it
succeeds, reconnecting after connection errors. Nothing is acknowledged meanwhile (the
caller keeps its batch), so an outage costs time, never data.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import psycopg

from ingest.config import IngestSettings
from ingest.metrics import IngestMetrics
from ingest.store import BatchWriter

log = logging.getLogger(__name__)
T = TypeVar("T")


class Stopping(Exception):
    """The service is stopping while waiting for the database."""


class DatabaseLink:
    """One connection (owned by its :class:`BatchWriter`), reopened when it breaks."""

    def __init__(
        self,
        database_url: str,
        settings: IngestSettings,
        metrics: IngestMetrics,
        stop: threading.Event,
    ) -> None:
        self.database_url = database_url
        self.settings = settings
        self.metrics = metrics
        self.had_outage = False
        self._stop = stop
        self._writer: BatchWriter | None = None

    def writer(self) -> BatchWriter:
        """The open writer, connecting (with backoff) when there is none."""
        writer = self._writer
        if writer is None or writer.conn.closed or writer.conn.broken:
            if writer is not None:
                writer.conn.close()
            writer = self._writer = self._connect()
        return writer

    def close(self) -> None:
        if self._writer is not None:
            self._writer.conn.close()
            self._writer = None

    def retrying(self, action: Callable[[], T]) -> T:
        """Run a database action until it succeeds, reconnecting with backoff."""
        delay = self.settings.retry_min_s
        while True:
            try:
                self.writer()
                return action()
            except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
                self.metrics.db_errors.inc()
                self.had_outage = True
                log.warning("database error; retrying", extra={"error": str(exc), "retry_s": delay})
                self.close()
                delay = self._back_off(delay)

    def _connect(self) -> BatchWriter:
        """Connect (with backoff until it works or we stop) and prepare the staging."""
        delay = self.settings.retry_min_s
        while True:
            try:
                # TCP keepalives: a silently vanished server is noticed in seconds.
                conn = psycopg.connect(
                    self.database_url, connect_timeout=5, keepalives=1, keepalives_idle=5,
                    keepalives_interval=2, keepalives_count=3,
                )  # fmt: skip
                conn.execute("SET synchronous_commit = on")
                return BatchWriter(conn)
            except psycopg.Error as exc:
                self.metrics.db_errors.inc()
                log.warning("database unavailable", extra={"error": str(exc), "retry_s": delay})
                delay = self._back_off(delay)

    def _back_off(self, delay: float) -> float:
        """Wait ``delay`` (unless stopping); the next, doubled, delay."""
        if self._stop.wait(delay):
            raise Stopping from None
        return min(delay * 2, self.settings.retry_max_s)

    @property
    def conn(self) -> psycopg.Connection[Any]:
        return self.writer().conn
