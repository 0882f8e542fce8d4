"""Alarm persistence behind the detectors: the detectors' alarm events, minus those a
maintenance/inspection window suppresses, raised and resolved through
:mod:`alarms.service` on a connection of its own (one active alarm per elevator and
type; the NOTIFY it emits feeds SSE and rescue dispatch), then each opened or resolved
alarm published at QoS 1 to ``<notify_root>/company-<company_id>/alarm``.

Writing is retried until it succeeds (a database outage delays alarms, never drops
them) and is idempotent (a raise names its onset; see :class:`alarms.model.AlarmChange`),
so the replay after a crash re-raises what may be missing and duplicates nothing. The
writer also saves its runner's checkpoint (:mod:`ingest.repository.replay`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import psycopg

from alarms.model import AlarmChange, AppliedAlarm
from alarms.policy import SuppressionSchedule
from alarms.service import load_suppressions, record_alarm_changes
from analytics.config import DetectionSettings
from analytics.detectors import AlarmEvent, ElevatorSpec
from domain.alarms import SEVERITY, AlarmType
from ingest.repository.replay import save_checkpoint
from messaging.client import Publisher

log = logging.getLogger(__name__)
MAX_BACKOFF_S = 5.0
EXACT = timedelta(0)


@dataclass(frozen=True, slots=True)
class ElevatorInfo:
    code: str
    company_id: int
    spec: ElevatorSpec


def alarm_topic(notify_root: str, company_id: int) -> str:
    return f"{notify_root}/company-{company_id}/alarm"


def ms_datetime(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def change_of(event: AlarmEvent, onset_tolerance: timedelta = EXACT) -> AlarmChange:
    return AlarmChange(
        event.elevator_id, event.alarm_type, event.raised, ms_datetime(event.at_ms),
        f"detector.{event.source}", event.detail, onset_tolerance,
    )  # fmt: skip


class AlarmWriter:
    def __init__(
        self,
        settings: DetectionSettings,
        database_url: str,
        publisher: Publisher | None,
        elevator_of: Callable[[int], ElevatorInfo | None],
        counts: dict[str, int],
        stop: threading.Event,
        *,
        write_offline: bool = False,
    ) -> None:
        self.settings = settings
        self.database_url = database_url
        self.publisher = publisher
        self.write_offline = write_offline
        self.counts = counts
        self.suppression = SuppressionSchedule(
            exempt=frozenset(AlarmType(name) for name in settings.suppression_exempt)
        )
        self._elevator_of = elevator_of
        self._stop = stop
        self._conn: psycopg.Connection[Any] | None = None

    def load_suppressions(self, conn: psycopg.Connection[Any]) -> None:
        self.suppression = load_suppressions(conn, self.suppression.exempt, datetime.now(UTC))

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def write(self, events: list[tuple[AlarmEvent, timedelta]]) -> bool:
        """Record the events (each with its onset tolerance), retrying until they are
        written; count and publish what changed. False: stopped before they were."""
        changes = [
            change_of(event, tolerance)
            for event, tolerance in events
            if self.write_offline or event.alarm_type is not AlarmType.TERMINAL_OFFLINE
        ]
        if not changes:
            return True
        applied = self._record(changes)
        if applied is None:
            log.warning("stopping: %d alarm changes unwritten (replayed on start)", len(changes))
            return False
        for alarm in applied:
            if alarm.change.raised and alarm.created:
                self.counts["raised"] += 1
            elif not alarm.change.raised and alarm.alarm_id is not None:
                self.counts["resolved"] += 1
            self._publish(alarm)
        return True

    def _record(self, changes: list[AlarmChange]) -> list[AppliedAlarm] | None:
        """Apply the changes, retrying with backoff until done (None: stopping first)."""
        attempt = 0
        while True:
            try:
                recorded = record_alarm_changes(self._connection(), changes, self.suppression)
            except psycopg.Error:
                self.counts["errors"] += 1
                log.exception("writing alarms failed (attempt %d); retrying", attempt + 1)
                self.close()
                if self._stop.wait(min(0.2 * 2 ** min(attempt, 10), MAX_BACKOFF_S)):
                    return None
                attempt += 1
            else:
                self.counts["suppressed"] += recorded.suppressed
                return recorded.applied

    def save_checkpoint(self, name: str, fired_to_ms: int) -> bool:
        """Record that every alarm due by ``fired_to_ms`` (event time) is written."""
        try:
            save_checkpoint(self._connection(), name, ms_datetime(fired_to_ms))
        except psycopg.Error:
            self.counts["errors"] += 1
            log.warning("saving the detector checkpoint failed; next time", exc_info=True)
            self.close()
            return False
        return True

    def _connection(self) -> psycopg.Connection[Any]:
        if self._conn is None or self._conn.closed:
            self._conn = psycopg.connect(self.database_url, autocommit=True)
        return self._conn

    def _publish(self, alarm: AppliedAlarm) -> None:
        change = alarm.change
        if (
            self.publisher is None
            or alarm.alarm_id is None
            or (change.raised and not alarm.created)
        ):
            return
        info = self._elevator_of(change.elevator_id)
        if info is None:
            return
        payload = {
            "alarm_id": alarm.alarm_id,
            "elevator_id": change.elevator_id,
            "elevator_code": info.code,
            "type": change.alarm_type.value,
            "severity": int(SEVERITY[change.alarm_type]),
            "state": "open" if change.raised else "resolved",
            "at": change.at.isoformat(),
            "detail": change.detail,
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
