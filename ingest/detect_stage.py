"""The detectors in the live pipeline: a :class:`~ingest.batch.BatchConsumer` behind ingest.

``consume`` (on the ingest worker thread) turns each committed batch into one set of
status columns sorted by (elevator, event time) (:mod:`ingest.status_columns`) and runs
it through the fleet's detectors in one numpy pass; a ticker thread fires timers every
``tick_s`` (so an entrapment is noticed within a fraction of a second of T). Alarm events
go to a writer thread, which hands them to :class:`~ingest.alarm_writer.AlarmWriter`
(suppression, persistence, MQTT notify) and keeps the elevators' specifications and the
suppression windows fresh.

Terminal-offline alarms are left to ingest's presence tracker (it raises and clears
them in its own transaction); set ``write_offline=True`` to have this stage write them.
"""

from __future__ import annotations

import logging
import queue
import threading
import time

import numpy as np
import psycopg

from analytics.config import DetectionSettings
from analytics.detectors import AlarmEvent, ElevatorSpec, FleetDetector
from domain.telemetry import EventMessage
from ingest.alarm_writer import AlarmWriter, ElevatorInfo, alarm_topic
from ingest.batch import Batch
from ingest.repository.elevators import fetch_detected_elevators
from ingest.status_columns import columns_of, empty_columns
from messaging.client import Publisher

__all__ = ["DetectStage", "ElevatorInfo", "alarm_topic", "columns_of"]

log = logging.getLogger(__name__)
_DEFAULT_SPEC = ElevatorSpec()


class DetectStage:
    """Detectors behind ingest: consume/tick from ingest, alarms written and published."""

    name = "detect"

    def __init__(
        self,
        settings: DetectionSettings,
        database_url: str,
        publisher: Publisher | None = None,
        *,
        write_offline: bool = False,
        tick_s: float = 0.25,
    ) -> None:
        self.settings = settings
        self.database_url = database_url
        self.tick_s = tick_s
        self.elevators: dict[int, ElevatorInfo] = {}
        self.fleet = FleetDetector(settings, self._spec)
        self.counts = {"raised": 0, "resolved": 0, "suppressed": 0, "published": 0, "errors": 0}
        self._stop = threading.Event()
        self.alarm_writer = AlarmWriter(
            settings, database_url, publisher, self._elevator, self.counts, self._stop,
            write_offline=write_offline,
        )  # fmt: skip
        self._lock = threading.Lock()
        self._queue: queue.Queue[list[AlarmEvent]] = queue.Queue()
        self._threads: list[threading.Thread] = []
        self._loaded_at = 0.0
        self._need_refresh = threading.Event()
        self._lag_ms = 0

    # ---- lifecycle ----------------------------------------------------------------------
    def start(self) -> None:
        self._refresh(force=True)
        for target, name in ((self._write_loop, "detect-writer"), (self._tick_loop, "detect-tick")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        self._queue.put([])
        for thread in self._threads:
            thread.join(timeout=10)
        self._threads.clear()
        self.alarm_writer.close()

    # ---- BatchConsumer ------------------------------------------------------------------
    def consume(self, batch: Batch) -> None:
        events: dict[int, list[EventMessage]] = {}
        for elevator_id, event in batch.events:
            events.setdefault(elevator_id, []).append(event)
        known = self.elevators
        with self._lock:
            if batch.statuses:
                ids, columns = columns_of(batch.statuses)
                # How far event time trails the wall clock (transport latency; a replay
                # of older data): timers run on event time, so ticks subtract it.
                self._lag_ms = max(0, int(time.time() * 1000) - int(columns.ts_ms.max()))
                if any(e not in known for e in set(ids.tolist())):
                    self._need_refresh.set()  # a new elevator: re-read specs (writer thread)
                self.fleet.process_many(ids, columns, events)
            elif events:
                self.fleet.process_many(np.zeros(0, np.int64), empty_columns(), events)
            out = self.fleet.drain()
        if out:
            self._queue.put(out)

    def tick(self, now_ms: int) -> None:
        """Ingest's tick; timers are also run by this stage's own ticker thread."""
        self._tick(now_ms)

    def _tick(self, now_ms: int) -> None:
        with self._lock:
            out = self.fleet.tick(now_ms - self._lag_ms)
        if out:
            self._queue.put(out)

    def _tick_loop(self) -> None:
        while not self._stop.wait(self.tick_s):
            try:
                self._tick(int(time.time() * 1000))
            except Exception:
                self.counts["errors"] += 1
                log.exception("detector tick failed")

    # ---- elevators and suppression windows ------------------------------------------------
    def _elevator(self, elevator_id: int) -> ElevatorInfo | None:
        return self.elevators.get(elevator_id)

    def _spec(self, elevator_id: int) -> ElevatorSpec:
        info = self.elevators.get(elevator_id)
        return info.spec if info is not None else _DEFAULT_SPEC

    def is_suppressed(self, event: AlarmEvent) -> bool:
        return self.alarm_writer.suppression.suppresses(
            event.elevator_id, event.alarm_type, event.at_ms
        )

    def _refresh(self, force: bool = False) -> None:
        if not force and time.monotonic() - self._loaded_at < min(self.settings.refresh_s, 5.0):
            return
        self._loaded_at = time.monotonic()
        try:
            with psycopg.connect(self.database_url, autocommit=True) as conn:
                rows = fetch_detected_elevators(conn)
                self.alarm_writer.load_suppressions(conn)
        except psycopg.Error:
            self.counts["errors"] += 1
            log.exception("loading elevators for detection failed")
            return
        elevators = {
            row.id: ElevatorInfo(
                row.code,
                row.company_id,
                ElevatorSpec.of(
                    row.rated_speed, row.lowest_floor, row.floors, row.report_interval_s
                ),
            )
            for row in rows
        }
        with self._lock:
            for elevator_id, info in elevators.items():
                old = self.elevators.get(elevator_id)
                if old is not None and old.spec != info.spec:
                    self.fleet.forget(elevator_id)
            self.elevators = elevators

    # ---- the writer thread ----------------------------------------------------------------
    def _write_loop(self) -> None:
        last_refresh = time.monotonic()
        while not self._stop.is_set():
            events = self._drain_queue()
            if time.monotonic() - last_refresh > self.settings.refresh_s:
                last_refresh = time.monotonic()
                self._refresh(force=True)
            elif self._need_refresh.is_set():
                self._need_refresh.clear()
                self._refresh()
            if events:
                self.alarm_writer.write(events)

    def _drain_queue(self) -> list[AlarmEvent]:
        try:
            events = self._queue.get(timeout=0.5)
        except queue.Empty:
            events = []
        while not self._queue.empty():
            events.extend(self._queue.get_nowait())
        return events
