"""The ingest worker thread: take a batch from the receiver, decode it, write it in one
transaction, acknowledge it, track presence and feed the stages behind it.

A message is acknowledged only after its data (or its dead letter) is committed; while
the database is unreachable the worker retries the same batch with backoff
(:class:`~ingest.database.DatabaseLink`) and acknowledges nothing. In the cluster mode a
batch is also handed to the detectors' stream, and confirmed by it, before it is
acknowledged (retried with the same backoff).
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from typing import Any

import numpy as np
import psycopg

from ingest.batch import Batch, PresenceChange
from ingest.config import IngestSettings
from ingest.database import DatabaseLink, Stopping
from ingest.decode import Decoded, Incoming, MessageDecoder
from ingest.feed import Feeder
from ingest.metrics import IngestMetrics
from ingest.presence import PresenceTracker
from ingest.receiver import Receiver
from ingest.registry import ElevatorRegistry
from ingest.repository.elevators import fetch_presence, fetch_terminals
from ingest.repository.sensor_health import fetch_report_intervals
from ingest.store import WriteResult, dead_letter_all
from storage.telemetry_admin import ensure_partitions

log = logging.getLogger(__name__)


def _freeze_long_lived() -> None:
    """Move what exists now (the registry: ~250,000 entries at city scale) out of the
    cyclic GC's reach, so full collections triggered by the per-message objects do not
    walk it again and again (measured: ~30 % of decode time)."""
    gc.collect()
    gc.freeze()


def _now_ms() -> int:
    return int(time.time() * 1000)


class IngestWorker:
    def __init__(
        self,
        settings: IngestSettings,
        database: DatabaseLink,
        receiver: Receiver,
        decoder: MessageDecoder,
        presence: PresenceTracker,
        feeder: Feeder,
        metrics: IngestMetrics,
        stop: threading.Event,
    ) -> None:
        self.settings = settings
        self.database = database
        self.receiver = receiver
        self.decoder = decoder
        self.registry: ElevatorRegistry = decoder.registry
        self.presence = presence
        self.feeder = feeder
        self.metrics = metrics
        self.ready = threading.Event()  # database set up, worker running
        self.committed_batches = 0
        self.failed = False
        self._stop = stop
        self._pending_presence: list[PresenceChange] = []
        self._last_partition_check = 0.0

    def run(self) -> None:
        try:
            self.database.retrying(self._setup)
            self.ready.set()
            self._loop()
        except Stopping:
            pass
        except Exception:
            log.exception("ingest worker failed")
            self.failed = True
            self._stop.set()

    # -- setup -------------------------------------------------------------------------
    def _setup(self) -> None:
        conn = self.database.conn
        self._ensure_partitions()
        self.registry.load(fetch_terminals(conn))
        self.presence.resize(self.registry.id_array(), self.registry.report_interval_ms)
        for row in fetch_presence(conn):
            index = self.registry.index_of(row.elevator_id)
            if index is not None:
                seen_ms = int(row.received_at.timestamp() * 1000)
                self.presence.restore(index, row.online, seen_ms)
        self._restore_report_intervals(conn)
        conn.commit()
        _freeze_long_lived()
        self.presence.quiet_since_ms = _now_ms()
        log.info("ingest ready", extra={"elevators": len(self.registry)})

    def _restore_report_intervals(self, conn: psycopg.Connection[Any]) -> None:
        """The report intervals learned before the restart (``sensor_health``); when
        they cannot be read, they are learned again (logged)."""
        try:
            saved = fetch_report_intervals(conn)
        except psycopg.Error:
            conn.rollback()
            log.exception("reading the learned report intervals failed; learned again")
            return
        known = [
            (index, n, mean)
            for eid, n, mean in saved
            if (index := self.registry.index_of(eid)) is not None
        ]
        if known:
            indexes, gaps_n, interval_ms = zip(*known, strict=True)
            self.presence.restore_intervals(
                np.array(indexes, np.intp), np.array(gaps_n), np.array(interval_ms)
            )

    def _ensure_partitions(self) -> None:
        conn = self.database.conn
        days_back = int(self.settings.max_past_s // 86_400) + 1
        days_ahead = int(self.settings.max_future_s // 86_400) + 2
        ensure_partitions(conn, days_back=days_back, days_ahead=days_ahead)
        conn.commit()
        self._last_partition_check = time.monotonic()

    def _reload_registry(self) -> int:
        conn = self.database.conn
        added = self.registry.load(fetch_terminals(conn))
        conn.commit()
        if added:
            self.presence.resize(self.registry.id_array(), self.registry.report_interval_ms)
            _freeze_long_lived()
        return added

    # -- the loop ----------------------------------------------------------------------
    def _loop(self) -> None:
        settings = self.settings
        receiver = self.receiver
        next_tick = time.monotonic()
        while not self._stop.is_set():
            now = time.monotonic()
            if now >= next_tick:
                next_tick = now + 1.0
                self._tick()
            items = receiver.take(settings.batch_size)
            if not items and not self._pending_presence:
                receiver.wakeup.wait(settings.batch_interval_s)
                receiver.wakeup.clear()
                continue
            self._process(items)

    def _tick(self) -> None:
        now_ms = _now_ms()
        if time.monotonic() - self._last_partition_check > self.settings.partition_check_s:
            self.database.retrying(self._ensure_partitions)
        self._pending_presence.extend(self.presence.expire(now_ms))
        self.feeder.tick(now_ms)

    def _process(self, items: list[Incoming]) -> None:
        now_ms = _now_ms()
        decoded = self._decode(items, now_ms)
        presence = self._presence_changes(decoded, now_ms)
        # A mass event (a district offline) is spread over several commits, FIFO, so
        # that telemetry keeps flowing.
        cap = self.settings.max_presence_per_batch
        presence, rest = presence[:cap], presence[cap:]
        started = time.perf_counter()
        result = self.database.retrying(lambda: self._write(decoded, presence))
        elapsed = time.perf_counter() - started
        commit_ms = _now_ms()
        self._pending_presence = rest
        self.committed_batches += 1
        batch = None
        if self.feeder.forwarder is not None:
            batch = self.feeder.batch_of(decoded, presence, now_ms)
            self._forward(batch)
        self.receiver.ack(items)
        lag_p50_s = self.metrics.count_batch(
            len(items), decoded, result, presence, elapsed, commit_ms
        )
        self._note_backlog(lag_p50_s, commit_ms)
        if self.feeder:
            self.feeder.feed(decoded, presence, now_ms, batch)
        self.metrics.buffer_depth.set(len(self.receiver.buffer))

    def _forward(self, batch: Batch) -> None:
        """Until the stream has the batch (backoff like the database's); nothing is
        acknowledged meanwhile, so the broker holds the rest."""
        delay = self.settings.retry_min_s
        while True:
            try:
                self.feeder.forward(batch)
                return
            except Exception as exc:  # noqa: BLE001 - any failure: retry the batch
                self.metrics.consumer_errors.inc()
                log.warning("forwarding a batch failed; retrying: %s", exc)
            if self._stop.wait(delay):
                raise Stopping
            delay = min(delay * 2, self.settings.retry_max_s)

    def _decode(self, items: list[Incoming], now_ms: int) -> Decoded:
        decoded = Decoded()
        self.decoder.decode(items, now_ms, decoded)
        if decoded.unknown:
            if self.registry.may_refresh():
                added = self.database.retrying(self._reload_registry)
                if added:
                    log.info("elevator registry reloaded", extra={"added": added})
            self.decoder.resolve_unknown(now_ms, decoded)
        return decoded

    def _note_backlog(self, lag_p50_s: float, commit_ms: int) -> None:
        """Behind (a backlog after an outage or a restart)? Then the silence is ours, not
        the terminals': nobody is timed out before we have caught up."""
        database = self.database
        if (
            database.had_outage
            or lag_p50_s > self.settings.backlog_lag_s
            or len(self.receiver.buffer) >= self.settings.batch_size
        ):
            self.presence.quiet_since_ms = commit_ms
            database.had_outage = False

    def _presence_changes(self, decoded: Decoded, now_ms: int) -> list[PresenceChange]:
        changes = self._pending_presence
        heard = [*decoded.statuses, *decoded.events]
        if heard:
            slots = np.fromiter((row[0].slot for row in heard), dtype=np.int64, count=len(heard))
            at = np.fromiter((row[2] for row in heard), dtype=np.int64, count=len(heard))
            changes.extend(self.presence.seen_changes(slots, at, now_ms))
        for ref, message, received_ms, _ in decoded.online:
            change = self.presence.announce(ref.slot, message.online, received_ms)
            if change is not None:
                changes.append(change)
        return changes

    def _write(self, decoded: Decoded, presence: list[PresenceChange]) -> WriteResult:
        writer = self.database.writer()
        try:
            return writer.write(decoded, presence)
        except (psycopg.OperationalError, psycopg.InterfaceError):
            raise
        except psycopg.Error as exc:
            log.error("batch refused by the database", extra={"error": str(exc)})
            self.metrics.db_errors.inc()
            dead_letter_all(decoded, str(exc)[:1000], self.settings.dead_letter_payload_bytes)
            return writer.write(decoded, presence)
