"""Suppression: maintenance and inspection windows silence an elevator's alarms (pure).

A window covers ``[starts_at, ends_at)`` of event time; the exempt types (the alarm
button, an entrapment seen by a passenger) are never suppressed.
"""

from __future__ import annotations

from collections.abc import Iterable

from alarms.model import SuppressionWindow
from domain.alarms import AlarmType


def _ms(window: SuppressionWindow) -> tuple[int, int]:
    return int(window.starts_at.timestamp() * 1000), int(window.ends_at.timestamp() * 1000)


class SuppressionSchedule:
    """The windows per elevator, in ms of event time, and the types they spare."""

    def __init__(
        self,
        spans: dict[int, list[tuple[int, int]]] | None = None,
        exempt: frozenset[AlarmType] = frozenset(),
    ) -> None:
        self.spans = spans or {}
        self.exempt = exempt

    @classmethod
    def of(
        cls, windows: Iterable[SuppressionWindow], exempt: frozenset[AlarmType]
    ) -> SuppressionSchedule:
        spans: dict[int, list[tuple[int, int]]] = {}
        for window in windows:
            spans.setdefault(window.elevator_id, []).append(_ms(window))
        return cls(spans, exempt)

    def suppresses(self, elevator_id: int, alarm_type: AlarmType, at_ms: int) -> bool:
        if alarm_type in self.exempt:
            return False
        return any(start <= at_ms < end for start, end in self.spans.get(elevator_id, ()))
