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

Crash safety: a batch is acknowledged when its telemetry is committed, before its alarms
are written. The writer retries until they are, and saves a checkpoint (the event time
up to which every alarm is written). :meth:`DetectStage.start` first replays the stored
telemetry from the checkpoint minus the rules' horizon through fresh detectors
(:meth:`DetectStage.restore`); the raises it finds are written idempotently, so what a
crash or an outage left unwritten is raised once, and what was written is not raised
again. A runner taking elevators over (the cluster's detector workers) calls
:meth:`DetectStage.restore` for them.

Sensor health: what the detectors learned about each elevator's sensors (a presence
sensor stuck on, the load cell's baseline) outlives the replay horizon, so it is saved
(``sensor_health``) by the writer thread every ``health_save_every_s``, when elevators
are handed over (:meth:`DetectStage.forget`) and on a clean stop, and
:meth:`DetectStage.restore` loads it into the fresh detectors before replaying.
"""

from __future__ import annotations

import itertools
import logging
import queue
import threading
import time
from collections.abc import Callable, Collection, Mapping
from datetime import timedelta
from typing import Any

import numpy as np
import psycopg

from analytics.config import DetectionSettings
from analytics.detectors import AlarmEvent, ElevatorSpec, FleetDetector
from analytics.detectors.health import Snapshot
from domain.telemetry import EventMessage
from ingest.alarm_writer import EXACT, AlarmWriter, ElevatorInfo, alarm_topic, ms_datetime
from ingest.batch import Batch
from ingest.config import RecoverySettings
from ingest.repository.elevators import fetch_detected_elevators
from ingest.repository.replay import (
    fetch_checkpoint,
    fetch_clock_lags,
    fetch_events,
    fetch_statuses,
)
from ingest.repository.sensor_health import fetch_sensor_health, save_sensor_health
from ingest.status_columns import columns_of, empty_columns
from messaging.client import Publisher

__all__ = ["DetectStage", "ElevatorInfo", "alarm_topic", "columns_of"]

log = logging.getLogger(__name__)
_DEFAULT_SPEC = ElevatorSpec()
REPLAY_CHUNK = 2_000  # elevators read back per query
HEALTH_RETRY_S = 5.0  # a failed save of the sensor health is retried after this
HEALTH_SAVE_CHUNK = 2_000  # sensor health snapshots saved per turn of the writer
# Alarm events with the onset tolerance of their raise (EXACT, or a replay's horizon).
Pending = list[tuple[AlarmEvent, timedelta]]


def _now_ms() -> int:
    return int(time.time() * 1000)


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
        recovery: RecoverySettings | None = None,
    ) -> None:
        """``recovery``: replay and checkpoint settings (default: ``RecoverySettings()``)."""
        self.settings = settings
        self.database_url = database_url
        self.tick_s = tick_s
        self.recovery = recovery or RecoverySettings()
        self.elevators: dict[int, ElevatorInfo] = {}
        self.fleet = FleetDetector(settings, self._spec)
        self.counts = {"raised": 0, "resolved": 0, "suppressed": 0, "published": 0, "errors": 0}
        self._stop = threading.Event()
        self.alarm_writer = AlarmWriter(
            settings, database_url, publisher, self._elevator, self.counts, self._stop,
            write_offline=write_offline,
        )  # fmt: skip
        self._lock = threading.Lock()
        self._queue: queue.Queue[Pending] = queue.Queue()
        self._threads: list[threading.Thread] = []
        self._loaded_at = 0.0
        self._need_refresh = threading.Event()
        self._lag_ms = 0
        self._fired_to_ms = -1  # event time up to which timers have fired (ticks)
        self.replayed = 0  # samples replayed by restore
        # sensor health snapshots waiting to be saved (handed-over elevators, failed saves)
        self._health_out: dict[int, Snapshot] = {}
        self._health_next = time.monotonic() + self.recovery.health_save_every_s
        self._health_retry = 0.0
        self.health_counts = {"loaded": 0, "saved": 0, "save_errors": 0}

    # ---- lifecycle ----------------------------------------------------------------------
    def start(self, *, recover: bool = True) -> None:
        """Load the elevators, start the writer and the ticker, and (``recover``) replay
        stored telemetry from this runner's checkpoint before returning."""
        self._refresh(force=True)
        self._start_thread(self._write_loop, "detect-writer")
        if recover:
            self.recover()  # before the ticker: the checkpoint waits for the replay's alarms
        self._start_thread(self._tick_loop, "detect-tick")

    def _start_thread(self, target: Callable[[], None], name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def recover(self) -> None:
        """Replay every known elevator from the checkpoint minus the horizon to now."""
        now = _now_ms()
        checkpoint = self._checkpoint_ms()
        horizon_ms = int(self.recovery.horizon_s * 1000)
        since = now - int(self.recovery.max_replay_s * 1000)
        if checkpoint is not None:
            since = max(since, checkpoint - horizon_ms)
        self.restore(None, since, now, checkpoint)

    def _checkpoint_ms(self) -> int | None:
        try:
            with psycopg.connect(self.database_url, autocommit=True) as conn:
                at = fetch_checkpoint(conn, self.recovery.checkpoint)
        except psycopg.Error:
            log.exception("reading the detector checkpoint failed; replaying the horizon")
            return None
        return None if at is None else int(at.timestamp() * 1000)

    def stop(self) -> None:
        """Stop the threads, then save every elevator's sensor health once."""
        self._stop.set()
        self._queue.put([])
        for thread in self._threads:
            thread.join(timeout=10)
        self._threads.clear()
        if self.recovery.health:
            self.save_health()
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
                # How far the freshest event time trails the wall clock (transport
                # latency, a replay of older data): the checkpoint goes by it. Each
                # elevator's timers run on its own terminal's clock (``arrived_ms``).
                arrived = int(time.time() * 1000)
                self._lag_ms = max(0, arrived - int(columns.ts_ms.max()))
                if any(e not in known for e in set(ids.tolist())):
                    self._need_refresh.set()  # a new elevator: re-read specs (writer thread)
                self.fleet.process_many(ids, columns, events, arrived_ms=arrived)
            elif events:
                self.fleet.process_many(
                    np.zeros(0, np.int64), empty_columns(), events, int(time.time() * 1000)
                )
            out = self.fleet.drain()
        if out:
            self._queue.put([(event, EXACT) for event in out])

    def tick(self, now_ms: int) -> None:
        """Ingest's tick; timers are also run by this stage's own ticker thread."""
        self._tick(now_ms)

    def _tick(self, now_ms: int) -> None:
        with self._lock:
            # each elevator's timers on its own clock (FleetDetector.tick); the checkpoint
            # goes by the freshest terminal of the last batch
            fired_to = now_ms - self._lag_ms
            out = self.fleet.tick(now_ms)
            if out:
                self._queue.put([(event, EXACT) for event in out])
            # after the put: the writer that reads this finds these events queued
            self._fired_to_ms = max(self._fired_to_ms, fired_to)

    # ---- recovery ------------------------------------------------------------------------
    def restore(
        self,
        elevator_ids: Collection[int] | None,
        since_ms: int,
        until_ms: int,
        written_to_ms: int | None = None,
    ) -> int:
        """Rebuild the detectors of ``elevator_ids`` (None: every known elevator) from the
        samples and terminal events stored with event time in [since_ms, until_ms], and
        fire their timers due by ``until_ms``. The alarm events found are queued for the
        writer: those due after ``written_to_ms`` (the checkpoint) with their exact onset,
        the older ones (perhaps already written; None: all) with the horizon as onset
        tolerance, so none is raised twice. Returns the number of samples replayed."""
        with self._lock:
            ids = sorted(self.elevators if elevator_ids is None else elevator_ids)
        since, until = ms_datetime(since_ms), ms_datetime(until_ms)
        replayed = loaded = 0
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            for first in range(0, len(ids), REPLAY_CHUNK):
                chunk = ids[first : first + REPLAY_CHUNK]
                saved = self._saved_health(conn, chunk)
                stored = fetch_statuses(conn, chunk, since, until)
                events = fetch_events(conn, chunk, since, until)
                lags = fetch_clock_lags(conn, chunk, since, until)
                with self._lock:
                    health: dict[int, Mapping[str, object]] = {**saved, **self._known_health(chunk)}
                    self._forget(chunk)
                    loaded += self.fleet.load_health(health)
                    self.fleet.process_many(stored.elevator_ids, stored.columns, events)
                    self.fleet.set_clock_lags(lags)
                    self._queue_replayed(self.fleet.drain(), written_to_ms)
                replayed += len(stored.columns)
        with self._lock:
            self._queue_replayed(self.fleet.tick(until_ms), written_to_ms)
        self.replayed += replayed
        self.health_counts["loaded"] += loaded
        log.info(
            "detectors restored", extra={"elevators": len(ids), "samples": replayed,
                                         "health": loaded, "since_ms": since_ms,
                                         "until_ms": until_ms},
        )  # fmt: skip
        return replayed

    def forget(self, elevator_ids: Collection[int]) -> None:
        """Drop these elevators' detector state and timers (they are detected elsewhere);
        their sensor health is saved by the writer thread first (for the next owner)."""
        with self._lock:
            if self.recovery.health:
                self._health_out.update(self.fleet.health_snapshots(elevator_ids))
            self._forget(elevator_ids)

    def _forget(self, elevator_ids: Collection[int]) -> None:
        for elevator_id in elevator_ids:
            self.fleet.forget(elevator_id)

    # ---- sensor health ---------------------------------------------------------------------
    def _saved_health(
        self, conn: psycopg.Connection[Any], elevator_ids: list[int]
    ) -> dict[int, dict[str, object]]:
        """The saved sensor health of these elevators ({} when disabled or unreadable:
        they learn it again)."""
        if not self.recovery.health:
            return {}
        try:
            return dict(fetch_sensor_health(conn, elevator_ids))
        except psycopg.Error:
            self.counts["errors"] += 1
            log.exception("reading the saved sensor health failed; it is learned again")
            return {}

    def _known_health(self, elevator_ids: list[int]) -> dict[int, Snapshot]:
        """The health this runner holds (newer than the saved one): its detectors' and
        the snapshots still waiting to be saved. Call with the lock held."""
        waiting = {e: self._health_out[e] for e in elevator_ids if e in self._health_out}
        return {**waiting, **self.fleet.health_snapshots(elevator_ids)}

    def save_health(self, snapshots: dict[int, Snapshot] | None = None) -> bool:
        """Save these snapshots (None: every elevator's, and those waiting); a failure is
        logged and they wait for the next attempt. Returns whether they were saved."""
        if snapshots is None:
            with self._lock:
                snapshots, self._health_out = self._health_out, {}
                snapshots.update(self.fleet.health_snapshots())
        if not snapshots:
            return True
        try:  # bounded: a clean stop must not hang on an unreachable server
            with psycopg.connect(self.database_url, autocommit=True, connect_timeout=10) as conn:
                saved = save_sensor_health(conn, snapshots)
        except psycopg.Error:
            self.health_counts["save_errors"] += 1
            log.exception("saving the sensor health failed; retried later")
            with self._lock:  # snapshots taken meanwhile are newer
                self._health_out = {**snapshots, **self._health_out}
            return False
        self.health_counts["saved"] += saved
        return True

    def _save_health_when_due(self) -> None:
        """On the writer thread: every elevator's health is queued every
        ``health_save_every_s``, and at most ``HEALTH_SAVE_CHUNK`` waiting snapshots are
        saved per turn (a save never holds the alarms up for long); a failed save is
        tried again after a pause."""
        if not self.recovery.health:
            return
        now = time.monotonic()
        if now >= self._health_next:
            self._health_next = now + self.recovery.health_save_every_s
            with self._lock:
                self._health_out.update(self.fleet.health_snapshots())
        if not self._health_out or now < self._health_retry:
            return
        with self._lock:
            chunk = dict(itertools.islice(self._health_out.items(), HEALTH_SAVE_CHUNK))
            for elevator_id in chunk:
                del self._health_out[elevator_id]
        if not self.save_health(chunk):
            self._health_retry = now + HEALTH_RETRY_S

    def _queue_replayed(self, events: list[AlarmEvent], written_to_ms: int | None) -> None:
        horizon = timedelta(seconds=self.recovery.horizon_s)
        pending = [
            (e, EXACT if written_to_ms is not None and e.at_ms > written_to_ms else horizon)
            for e in events
        ]
        if pending:
            self._queue.put(pending)

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
            changed = [
                elevator_id
                for elevator_id, info in elevators.items()
                if (old := self.elevators.get(elevator_id)) is not None and old.spec != info.spec
            ]
            health = self.fleet.health_snapshots(changed)  # the sensors did not change
            for elevator_id in changed:
                self.fleet.forget(elevator_id)
            self.elevators = elevators
            self.fleet.load_health(health)

    # ---- the writer thread ----------------------------------------------------------------
    def _write_loop(self) -> None:
        last_refresh = time.monotonic()
        last_saved = 0.0
        while not self._stop.is_set():
            fired_to = self._fired_to_ms  # read before draining: its events are queued
            events = self._drain_queue()
            if time.monotonic() - last_refresh > self.settings.refresh_s:
                last_refresh = time.monotonic()
                self._refresh(force=True)
            elif self._need_refresh.is_set():
                self._need_refresh.clear()
                self._refresh()
            if events and not self.alarm_writer.write(events):
                return  # stopping with alarms unwritten: the checkpoint stays behind them
            due = fired_to >= 0 and time.monotonic() - last_saved >= self.recovery.save_every_s
            if due and self.alarm_writer.save_checkpoint(self.recovery.checkpoint, fired_to):
                last_saved = time.monotonic()
            self._save_health_when_due()

    def _drain_queue(self) -> Pending:
        try:
            events = self._queue.get(timeout=0.5)
        except queue.Empty:
            events = []
        while not self._queue.empty():
            events.extend(self._queue.get_nowait())
        return events
