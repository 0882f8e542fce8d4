"""The ingest service: MQTT receiver + one worker thread that decodes, validates, writes
and acknowledges batches, tracks presence and feeds the stages behind it.

Guarantees: a message is acknowledged only after its data (or its dead letter) is
committed; writes are idempotent, so a redelivery after a crash stores nothing twice.
While the database is unreachable the worker retries the same batch with backoff and
acknowledges nothing; the receiver's buffer is bounded, so the broker keeps the rest.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Sequence
from typing import Any

import msgspec
import numpy as np
import psycopg

from domain.validation import DeadLetterReason
from ingest.batch import Batch, BatchConsumer, PresenceChange
from ingest.config import IngestSettings
from ingest.decode import DeadLetter, Decoded, Incoming, MessageDecoder
from ingest.metrics import IngestMetrics
from ingest.presence import PresenceTracker
from ingest.receiver import Receiver
from ingest.registry import ElevatorRegistry
from ingest.store import BatchWriter, WriteResult
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


class IngestService:
    name = "ingest"

    def __init__(
        self,
        settings: IngestSettings,
        database_url: str,
        mqtt_url: str,
        topic_root: str = "liftwatch/v1",
        consumers: Sequence[BatchConsumer] = (),
    ) -> None:
        self.settings = settings
        self.database_url = database_url
        self.consumers = list(consumers)
        self.metrics = IngestMetrics()
        self.registry = ElevatorRegistry(settings.registry_refresh_s)
        self.presence = PresenceTracker(settings.heartbeat_intervals)
        self.decoder = MessageDecoder(
            self.registry,
            topic_root,
            settings.max_payload_bytes,
            settings.dead_letter_payload_bytes,
            settings.max_future_s,
            settings.max_past_s,
        )
        self.receiver = Receiver(
            mqtt_url, settings.client_id, topic_root, settings.max_buffer, self.metrics,
            settings.keepalive_s,
        )  # fmt: skip
        self.ready = threading.Event()  # database set up, worker running
        self.committed_batches = 0
        self.failed = False
        self._stop = threading.Event()
        self._worker: threading.Thread | None = None
        self._writer: BatchWriter | None = None
        self._pending_presence: list[PresenceChange] = []
        self._metrics_server: Any = None
        self._last_partition_check = 0.0
        self._had_outage = False

    # -- lifecycle ---------------------------------------------------------------------
    def start(self) -> None:
        if self.settings.metrics_port:
            self._metrics_server = self.metrics.serve(self.settings.metrics_port)
        self._worker = threading.Thread(target=self._run, name="ingest-worker", daemon=True)
        self._worker.start()
        self.receiver.start()

    def stop(self) -> None:
        self._stop.set()
        self.receiver.wakeup.set()
        if self._worker is not None:
            self._worker.join(timeout=30)
        self.receiver.stop()
        if self._writer is not None:
            self._writer.conn.close()
            self._writer = None
        if self._metrics_server is not None:
            self._metrics_server.shutdown()
            self._metrics_server.server_close()
            self._metrics_server = None

    # -- database ----------------------------------------------------------------------
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
                if self._stop.wait(delay):
                    raise _Stopping from None
                delay = min(delay * 2, self.settings.retry_max_s)

    def _writer_conn(self) -> BatchWriter:
        if self._writer is None or self._writer.conn.closed or self._writer.conn.broken:
            if self._writer is not None:
                self._writer.conn.close()
            self._writer = self._connect()
        return self._writer

    def _setup(self) -> None:
        writer = self._writer_conn()
        conn = writer.conn
        self._ensure_partitions(conn)
        self.registry.load(conn)
        self.presence.resize(self.registry.id_array(), self.registry.report_interval_ms)
        for eid, online, seen in conn.execute(
            "SELECT elevator_id, online, received_at FROM elevator_status"
        ).fetchall():
            index = self.registry.index_of(int(eid))
            if index is not None:
                self.presence.restore(index, bool(online), int(seen.timestamp() * 1000))
        conn.commit()
        _freeze_long_lived()
        self.presence.quiet_since_ms = _now_ms()
        log.info("ingest ready", extra={"elevators": len(self.registry)})

    def _ensure_partitions(self, conn: psycopg.Connection[Any]) -> None:
        days_back = int(self.settings.max_past_s // 86_400) + 1
        days_ahead = int(self.settings.max_future_s // 86_400) + 2
        ensure_partitions(conn, days_back=days_back, days_ahead=days_ahead)
        conn.commit()
        self._last_partition_check = time.monotonic()

    # -- worker ------------------------------------------------------------------------
    def _run(self) -> None:
        try:
            self._retrying(self._setup)
            self.ready.set()
            self._loop()
        except _Stopping:
            pass
        except Exception:
            log.exception("ingest worker failed")
            self.failed = True
            self._stop.set()

    def _retrying(self, action: Any) -> Any:
        """Run a database action until it succeeds, reconnecting with backoff."""
        delay = self.settings.retry_min_s
        while True:
            try:
                self._writer_conn()
                return action()
            except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
                self.metrics.db_errors.inc()
                self._had_outage = True
                log.warning("database error; retrying", extra={"error": str(exc), "retry_s": delay})
                if self._writer is not None:
                    self._writer.conn.close()
                    self._writer = None
                if self._stop.wait(delay):
                    raise _Stopping from None
                delay = min(delay * 2, self.settings.retry_max_s)

    def _loop(self) -> None:
        s = self.settings
        receiver = self.receiver
        next_tick = time.monotonic()
        while not self._stop.is_set():
            now = time.monotonic()
            if now >= next_tick:
                next_tick = now + 1.0
                self._tick()
            items = receiver.take(s.batch_size)
            if not items and not self._pending_presence:
                receiver.wakeup.wait(s.batch_interval_s)
                receiver.wakeup.clear()
                continue
            self._process(items)

    def _tick(self) -> None:
        now_ms = _now_ms()
        if time.monotonic() - self._last_partition_check > self.settings.partition_check_s:
            self._retrying(lambda: self._ensure_partitions(self._writer_conn().conn))
        self._pending_presence.extend(self.presence.expire(now_ms))
        for consumer in self.consumers:
            try:
                consumer.tick(now_ms)
            except Exception:
                self.metrics.consumer_errors.inc()
                log.exception("batch consumer tick failed")

    def _process(self, items: list[Incoming]) -> None:
        m = self.metrics
        now_ms = _now_ms()
        decoded = Decoded()
        self.decoder.decode(items, now_ms, decoded)
        if decoded.unknown:
            if self.registry.may_refresh():
                added = self._retrying(lambda: self._reload_registry())
                if added:
                    log.info("elevator registry reloaded", extra={"added": added})
            self.decoder.resolve_unknown(now_ms, decoded)
        presence = self._presence_changes(decoded, now_ms)
        # A mass event (a district offline) is spread over several commits, FIFO, so
        # that telemetry keeps flowing.
        cap = self.settings.max_presence_per_batch
        presence, rest = presence[:cap], presence[cap:]
        started = time.perf_counter()
        result = self._retrying(lambda: self._write(decoded, presence))
        elapsed = time.perf_counter() - started
        commit_ms = _now_ms()
        self._pending_presence = rest
        self.committed_batches += 1
        self.receiver.ack(items)
        lag_p50_s = self._count(items, decoded, result, presence, elapsed, commit_ms)
        # Behind (a backlog after an outage or a restart)? Then the silence is ours, not
        # the terminals': nobody is timed out before we have caught up.
        if (
            self._had_outage
            or lag_p50_s > self.settings.backlog_lag_s
            or len(self.receiver.buffer) >= self.settings.batch_size
        ):
            self.presence.quiet_since_ms = commit_ms
            self._had_outage = False
        if self.consumers:
            self._feed(decoded, presence, now_ms)
        m.buffer_depth.set(len(self.receiver.buffer))

    def _reload_registry(self) -> int:
        writer = self._writer_conn()
        added = self.registry.load(writer.conn)
        writer.conn.commit()
        if added:
            self.presence.resize(self.registry.id_array(), self.registry.report_interval_ms)
            _freeze_long_lived()
        return added

    def _presence_changes(self, decoded: Decoded, now_ms: int) -> list[PresenceChange]:
        changes = self._pending_presence
        heard = [*decoded.statuses, *decoded.events]
        if heard:
            idx = np.fromiter((h[0].slot for h in heard), dtype=np.int64, count=len(heard))
            at = np.fromiter((h[2] for h in heard), dtype=np.int64, count=len(heard))
            changes.extend(self.presence.seen_changes(idx, at, now_ms))
        for ref, msg, received_ms, _ in decoded.online:
            change = self.presence.announce(ref.slot, msg.online, received_ms)
            if change is not None:
                changes.append(change)
        return changes

    def _write(self, decoded: Decoded, presence: list[PresenceChange]) -> WriteResult:
        writer = self._writer_conn()
        try:
            return writer.write(decoded, presence)
        except (psycopg.OperationalError, psycopg.InterfaceError):
            raise
        except psycopg.Error as exc:
            # Valid on the wire but refused by the database: keep the raw data as dead
            # letters rather than retrying a poison batch forever.
            log.error("batch refused by the database", extra={"error": str(exc)})
            self.metrics.db_errors.inc()
            poisoned = Decoded(online=decoded.online, dead=list(decoded.dead))
            keep = self.settings.dead_letter_payload_bytes
            for rows in (decoded.statuses, decoded.events):
                for _ref, msg, received_ms, topic in rows:
                    raw = msgspec.json.encode(msg)
                    poisoned.dead.append(
                        DeadLetter(
                            received_ms, topic, DeadLetterReason.STORE_FAILED, str(exc)[:1000],
                            raw[:keep], len(raw),
                        )
                    )  # fmt: skip
            decoded.statuses, decoded.events, decoded.dead = [], [], poisoned.dead
            return writer.write(decoded, presence)

    def _count(
        self,
        items: list[Incoming],
        decoded: Decoded,
        result: WriteResult,
        presence: list[PresenceChange],
        elapsed: float,
        commit_ms: int,
    ) -> float:
        """Update the metrics; returns the batch's median event-time lag (s)."""
        m = self.metrics
        m.received.labels("status").inc(len(decoded.statuses))
        m.received.labels("event").inc(len(decoded.events))
        m.received.labels("online").inc(len(decoded.online))
        m.received.labels("invalid").inc(len(decoded.dead))
        m.stored.labels("telemetry").inc(result.stored)
        m.stored.labels("terminal_events").inc(result.events_stored)
        m.duplicates.inc(result.duplicates)
        for d in decoded.dead:
            m.dead_letters.labels(d.reason.value).inc()
        for c in presence:
            m.presence.labels("online" if c.online else "offline").inc()
        m.batch_size.observe(len(items))
        m.commit_seconds.observe(elapsed)
        observe = m.lag_seconds.observe
        median = 0.0
        for rows in (decoded.statuses, decoded.events):
            if rows:
                ts = np.fromiter((r[1].ts for r in rows), dtype=np.int64, count=len(rows))
                lags = np.percentile(commit_ms - ts, (50, 90, 99, 100)) / 1000.0
                for lag in lags:
                    observe(float(lag))
                median = max(median, float(lags[0]))
        return median

    def _feed(self, decoded: Decoded, presence: list[PresenceChange], now_ms: int) -> None:
        batch = Batch(
            statuses=[(r[0].elevator_id, r[1]) for r in decoded.statuses],
            events=[(r[0].elevator_id, r[1]) for r in decoded.events],
            presence=list(presence),
            received_at_ms=now_ms,
        )
        for consumer in self.consumers:
            try:
                consumer.consume(batch)
            except Exception:
                self.metrics.consumer_errors.inc()
                log.exception("batch consumer failed")

    # -- for the command line --------------------------------------------------------------
    def run_until(self, stop: threading.Event) -> None:
        self.start()
        try:
            while not stop.wait(0.5) and not self._stop.is_set():
                pass
        finally:
            self.stop()


class _Stopping(Exception):
    """The service is stopping while waiting for the database."""
