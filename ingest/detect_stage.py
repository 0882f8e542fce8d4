"""The detectors in the live pipeline: a :class:`~ingest.batch.BatchConsumer` behind ingest.

``consume`` (on the ingest worker thread) turns each committed batch into one set of
status columns sorted by (elevator, event time) and runs it through the fleet's
detectors in one numpy pass; a ticker thread fires timers every ``tick_s`` (so an
entrapment is noticed within a fraction of a second of T). Alarm events go to a writer
thread with its own PostgreSQL connection, which drops those suppressed by a
maintenance/inspection window, raises/resolves them (``alarms.repository``: one active
alarm per elevator and type; the NOTIFY it emits feeds SSE and rescue dispatch) and
publishes each opened or resolved alarm at QoS 1 to
``<notify_root>/company-<company_id>/alarm``.

Terminal-offline alarms are left to ingest's presence tracker (it raises and clears
them in its own transaction); set ``write_offline=True`` to have this stage write them.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import msgspec
import numpy as np
import numpy.typing as npt
import psycopg

from alarms.repository import AlarmChange, AppliedAlarm, apply_alarm_changes, current_suppressions
from analytics.config import DetectionSettings
from analytics.detectors import AlarmEvent, ElevatorSpec, FleetDetector
from domain.alarms import SEVERITY, AlarmType
from domain.codes import (
    CAR_STATUS_IDS,
    DOOR_STATE_IDS,
    POWER_STATE_IDS,
    SERVICE_MODE_IDS,
)
from domain.samples import StatusColumns
from domain.telemetry import EventMessage, StatusMessage
from ingest.batch import Batch
from messaging.client import Publisher

log = logging.getLogger(__name__)
_DEFAULT_SPEC = ElevatorSpec()


@dataclass(frozen=True, slots=True)
class ElevatorInfo:
    code: str
    company_id: int
    spec: ElevatorSpec


def alarm_topic(notify_root: str, company_id: int) -> str:
    return f"{notify_root}/company-{company_id}/alarm"


def columns_of(
    statuses: list[tuple[int, StatusMessage]],
) -> tuple[npt.NDArray[np.int64], StatusColumns]:
    """Elevator ids and status columns of a batch, sorted by (elevator, event time)."""
    n = len(statuses)
    eid = np.fromiter((s[0] for s in statuses), np.int64, n)
    ts = np.fromiter((s[1].ts for s in statuses), np.int64, n)
    order = np.lexsort((ts, eid))
    msgs = [statuses[i][1] for i in order.tolist()]
    zeros32 = np.zeros(n, np.int32)
    zf = np.zeros(n, np.float32)
    cols = StatusColumns(
        elevator_id=-1,
        ts_ms=ts[order],
        seq=np.fromiter((m.seq for m in msgs), np.int64, n),
        car=np.fromiter((CAR_STATUS_IDS[m.car] for m in msgs), np.int8, n),
        dir=np.zeros(n, np.int8),
        floor=np.fromiter((m.floor for m in msgs), np.int16, n),
        door_zone=np.fromiter((m.door_zone for m in msgs), np.bool_, n),
        door=np.fromiter((DOOR_STATE_IDS[m.door] for m in msgs), np.int8, n),
        passenger=np.fromiter((m.passenger for m in msgs), np.bool_, n),
        mode=np.fromiter((SERVICE_MODE_IDS[m.mode] for m in msgs), np.int8, n),
        power=np.fromiter((POWER_STATE_IDS[m.power] for m in msgs), np.int8, n),
        speed=np.fromiter((m.speed for m in msgs), np.float32, n),
        load=zf,
        leveling_mm=zf,
        run_hours=zf,
        runs=zeros32,
        door_cycles=zeros32,
    )
    return eid[order], cols


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
        self.publisher = publisher
        self.write_offline = write_offline
        self.tick_s = tick_s
        self.elevators: dict[int, ElevatorInfo] = {}
        self.fleet = FleetDetector(settings, self._spec)
        self._lock = threading.Lock()
        self._queue: queue.Queue[list[AlarmEvent]] = queue.Queue()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._suppressed: dict[int, list[tuple[int, int]]] = {}
        self._exempt = frozenset(AlarmType(t) for t in settings.suppression_exempt)
        self._loaded_at = 0.0
        self._need_refresh = threading.Event()
        self._lag_ms = 0
        self._conn: psycopg.Connection[Any] | None = None
        self.counts = {"raised": 0, "resolved": 0, "suppressed": 0, "published": 0, "errors": 0}

    # ---- lifecycle ----------------------------------------------------------------------
    def start(self) -> None:
        self._refresh(force=True)
        for target, name in ((self._write_loop, "detect-writer"), (self._tick_loop, "detect-tick")):
            t = threading.Thread(target=target, name=name, daemon=True)
            t.start()
            self._threads.append(t)

    def stop(self) -> None:
        self._stop.set()
        self._queue.put([])
        for t in self._threads:
            t.join(timeout=10)
        self._threads.clear()
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    # ---- BatchConsumer ------------------------------------------------------------------
    def consume(self, batch: Batch) -> None:
        events: dict[int, list[EventMessage]] = {}
        for eid, ev in batch.events:
            events.setdefault(eid, []).append(ev)
        known = self.elevators
        with self._lock:
            if batch.statuses:
                ids, cols = columns_of(batch.statuses)
                # How far event time trails the wall clock (transport latency; a replay
                # of older data): timers run on event time, so ticks subtract it.
                self._lag_ms = max(0, int(time.time() * 1000) - int(cols.ts_ms.max()))
                if any(e not in known for e in set(ids.tolist())):
                    self._need_refresh.set()  # a new elevator: re-read specs (writer thread)
                self.fleet.process_many(ids, cols, events)
            elif events:
                self.fleet.process_many(np.zeros(0, np.int64), _empty(), events)
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
    def _spec(self, elevator_id: int) -> ElevatorSpec:
        info = self.elevators.get(elevator_id)
        return info.spec if info is not None else _DEFAULT_SPEC

    def _refresh(self, force: bool = False) -> None:
        if not force and time.monotonic() - self._loaded_at < min(self.settings.refresh_s, 5.0):
            return
        self._loaded_at = time.monotonic()
        try:
            with psycopg.connect(self.database_url, autocommit=True) as conn:
                rows = conn.execute(
                    """SELECT id, code, company_id, rated_speed, floors, lowest_floor,
                              report_interval_s FROM elevators"""
                ).fetchall()
                windows = current_suppressions(conn, datetime.now(UTC))
        except psycopg.Error:
            self.counts["errors"] += 1
            log.exception("loading elevators for detection failed")
            return
        elevators: dict[int, ElevatorInfo] = {}
        for eid, code, company, rated, floors, lowest, interval in rows:
            spec = ElevatorSpec.of(rated, lowest, floors, interval)
            elevators[int(eid)] = ElevatorInfo(str(code), int(company), spec)
        with self._lock:
            for eid, info in elevators.items():
                old = self.elevators.get(eid)
                if old is not None and old.spec != info.spec:
                    self.fleet.forget(eid)
            self.elevators = elevators
        suppressed: dict[int, list[tuple[int, int]]] = {}
        for w in windows:
            span = (int(w.starts_at.timestamp() * 1000), int(w.ends_at.timestamp() * 1000))
            suppressed.setdefault(w.elevator_id, []).append(span)
        self._suppressed = suppressed

    def is_suppressed(self, e: AlarmEvent) -> bool:
        if e.alarm_type in self._exempt:
            return False
        return any(a <= e.at_ms < b for a, b in self._suppressed.get(e.elevator_id, ()))

    # ---- writing and publishing -----------------------------------------------------------
    def _write_loop(self) -> None:
        last_refresh = time.monotonic()
        while not self._stop.is_set():
            try:
                events = self._queue.get(timeout=0.5)
            except queue.Empty:
                events = []
            while not self._queue.empty():
                events.extend(self._queue.get_nowait())
            if time.monotonic() - last_refresh > self.settings.refresh_s:
                last_refresh = time.monotonic()
                self._refresh(force=True)
            elif self._need_refresh.is_set():
                self._need_refresh.clear()
                self._refresh()
            if events:
                self._write(events)

    def _write(self, events: list[AlarmEvent]) -> None:
        changes: list[AlarmChange] = []
        for e in events:
            if e.alarm_type is AlarmType.TERMINAL_OFFLINE and not self.write_offline:
                continue
            if e.raised and self.is_suppressed(e):
                self.counts["suppressed"] += 1
                continue
            at = datetime.fromtimestamp(e.at_ms / 1000, UTC)
            source = f"detector.{e.source}"
            changes.append(AlarmChange(e.elevator_id, e.alarm_type, e.raised, at, source, e.detail))
        if not changes:
            return
        for attempt in range(5):
            try:
                conn = self._connection()
                with conn.transaction():
                    applied = apply_alarm_changes(conn, changes)
                break
            except psycopg.Error:
                self.counts["errors"] += 1
                log.exception("writing alarms failed (attempt %d)", attempt + 1)
                if self._conn is not None:
                    self._conn.close()
                    self._conn = None
                if self._stop.wait(min(0.2 * 2**attempt, 5.0)):
                    return
        else:
            log.error("dropped %d alarm changes after retries", len(changes))
            return
        for a in applied:
            if a.change.raised and a.created:
                self.counts["raised"] += 1
            elif not a.change.raised and a.alarm_id is not None:
                self.counts["resolved"] += 1
            self._publish(a)

    def _connection(self) -> psycopg.Connection[Any]:
        if self._conn is None or self._conn.closed:
            self._conn = psycopg.connect(self.database_url, autocommit=True)
        return self._conn

    def _publish(self, a: AppliedAlarm) -> None:
        c = a.change
        if self.publisher is None or a.alarm_id is None or (c.raised and not a.created):
            return
        info = self.elevators.get(c.elevator_id)
        if info is None:
            return
        payload = {
            "alarm_id": a.alarm_id,
            "elevator_id": c.elevator_id,
            "elevator_code": info.code,
            "type": c.alarm_type.value,
            "severity": int(SEVERITY[c.alarm_type]),
            "state": "open" if c.raised else "resolved",
            "at": c.at.isoformat(),
            "detail": c.detail,
        }
        try:
            self.publisher.publish(
                alarm_topic(self.settings.notify_root, info.company_id),
                msgspec.json.encode(payload),
                qos=1,
            )
            self.counts["published"] += 1
        except Exception:
            self.counts["errors"] += 1
            log.exception("publishing alarm failed")


def _empty() -> StatusColumns:
    z8 = np.zeros(0, np.int8)
    zf = np.zeros(0, np.float32)
    z32 = np.zeros(0, np.int32)
    return StatusColumns(
        elevator_id=-1,
        ts_ms=np.zeros(0, np.int64),
        seq=np.zeros(0, np.int64),
        car=z8,
        dir=z8,
        floor=np.zeros(0, np.int16),
        door_zone=np.zeros(0, np.bool_),
        door=z8,
        passenger=np.zeros(0, np.bool_),
        mode=z8,
        power=z8,
        speed=zf,
        load=zf,
        leveling_mm=zf,
        run_hours=zf,
        runs=z32,
        door_cycles=z32,
    )
