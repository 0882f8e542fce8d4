"""Alarm persistence behind the detectors: the detectors' alarm events, minus those a
maintenance/inspection window suppresses, raised and resolved through
:mod:`alarms.service` on a connection of its own (one active alarm per elevator and
type; the NOTIFY it emits feeds SSE and rescue dispatch), then each opened or resolved
alarm published at QoS 1 to ``<notify_root>/company-<company_id>/alarm``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import msgspec
import psycopg

from alarms.model import AlarmChange, AppliedAlarm
from alarms.policy import SuppressionSchedule
from alarms.service import load_suppressions, record_alarm_changes
from analytics.config import DetectionSettings
from analytics.detectors import AlarmEvent, ElevatorSpec
from domain.alarms import SEVERITY, AlarmType
from messaging.client import Publisher

log = logging.getLogger(__name__)
ATTEMPTS = 5


@dataclass(frozen=True, slots=True)
class ElevatorInfo:
    code: str
    company_id: int
    spec: ElevatorSpec


def alarm_topic(notify_root: str, company_id: int) -> str:
    return f"{notify_root}/company-{company_id}/alarm"


def change_of(event: AlarmEvent) -> AlarmChange:
    at = datetime.fromtimestamp(event.at_ms / 1000, UTC)
    return AlarmChange(
        event.elevator_id, event.alarm_type, event.raised, at, f"detector.{event.source}",
        event.detail,
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

    def write(self, events: list[AlarmEvent]) -> None:
        """Record the events (with retries), count and publish what changed."""
        changes = [
            change_of(event)
            for event in events
            if self.write_offline or event.alarm_type is not AlarmType.TERMINAL_OFFLINE
        ]
        if not changes:
            return
        applied = self._record(changes)
        if applied is None:
            log.error("dropped %d alarm changes after retries", len(changes))
            return
        for alarm in applied:
            if alarm.change.raised and alarm.created:
                self.counts["raised"] += 1
            elif not alarm.change.raised and alarm.alarm_id is not None:
                self.counts["resolved"] += 1
            self._publish(alarm)

    def _record(self, changes: list[AlarmChange]) -> list[AppliedAlarm] | None:
        for attempt in range(ATTEMPTS):
            try:
                recorded = record_alarm_changes(self._connection(), changes, self.suppression)
            except psycopg.Error:
                self.counts["errors"] += 1
                log.exception("writing alarms failed (attempt %d)", attempt + 1)
                self.close()
                if self._stop.wait(min(0.2 * 2**attempt, 5.0)):
                    return []  # stopping: nothing more is written
            else:
                self.counts["suppressed"] += recorded.suppressed
                return recorded.applied
        return None

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
