"""Scoring detector alarms against simulator ground truth (pure).

Matching, per alarm type: an alarm (a raise that opened it, see :func:`fired_alarms`)
is a true positive when an injected fault of the same type on the same elevator covers
its firing time, ``start <= at <= end + tolerance``; otherwise it is a false positive
(on a look-alike, on another fault, or on nothing; those on a look-alike are also
counted per look-alike kind). A fault is detected when at least one alarm matches it;
its detection delay is the first matching alarm's firing time minus the fault's start.

precision = true-positive alarms / alarms; recall = detected faults / faults.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from analytics.detectors.model import AlarmEvent
from domain.alarms import AlarmType
from domain.groundtruth import GroundTruth


@dataclass(frozen=True, slots=True)
class FiredAlarm:
    elevator_id: int
    alarm_type: str
    at_ms: int


@dataclass
class TypeScore:
    alarms: int = 0
    true_positives: int = 0
    faults: int = 0
    detected: int = 0
    delays_ms: list[int] = field(default_factory=list)
    on_lookalike: dict[str, int] = field(default_factory=dict)

    @property
    def false_positives(self) -> int:
        return self.alarms - self.true_positives

    @property
    def precision(self) -> float:
        return self.true_positives / self.alarms if self.alarms else 1.0

    @property
    def recall(self) -> float:
        return self.detected / self.faults if self.faults else 1.0

    def delay_s(self, q: float) -> float | None:
        if not self.delays_ms:
            return None
        return round(float(np.percentile(np.array(self.delays_ms), q)) / 1000.0, 2)

    def summary(self) -> dict[str, float | int | None]:
        return {
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "median_delay_s": self.delay_s(50),
            "p95_delay_s": self.delay_s(95),
            "faults": self.faults,
            "alarms": self.alarms,
            "false_alarms": self.false_positives,
        }


MOMENTARY = frozenset({AlarmType.ALARM_BUTTON.value})


def fired_alarms(events: Iterable[AlarmEvent]) -> list[FiredAlarm]:
    """The alarms as the alarm table would open them: a raise while the same elevator
    and type is already raised is an update (e.g. overspeed tier 2), not a new alarm.
    Alarm-button presses are momentary (never cleared by a detector): each press the
    detector reports (presses within its merge window are one) is an alarm."""
    open_: set[tuple[int, str]] = set()
    out: list[FiredAlarm] = []
    for e in events:
        k = (e.elevator_id, e.alarm_type.value)
        if e.raised:
            if k not in open_ or k[1] in MOMENTARY:
                open_.add(k)
                out.append(FiredAlarm(e.elevator_id, e.alarm_type.value, e.at_ms))
        else:
            open_.discard(k)
    return out


Key = tuple[int, str]  # (elevator id, alarm type)


@dataclass
class _Truth:
    """Ground truth indexed for matching: faults per (elevator, type) by start time,
    look-alikes per elevator."""

    faults: dict[Key, list[GroundTruth]] = field(default_factory=lambda: defaultdict(list))
    starts: dict[Key, list[int]] = field(default_factory=dict)
    lookalikes: dict[int, list[GroundTruth]] = field(default_factory=lambda: defaultdict(list))

    @classmethod
    def index(cls, truth: Sequence[GroundTruth], scores: dict[str, TypeScore]) -> _Truth:
        t = cls()
        for g in truth:
            if g.is_fault:
                t.faults[(g.elevator_id, g.kind)].append(g)
                scores[g.kind].faults += 1
            else:
                t.lookalikes[g.elevator_id].append(g)
        for k, lst in t.faults.items():
            lst.sort(key=lambda g: g.start_ms)
            t.starts[k] = [g.start_ms for g in lst]
        return t

    def matching_fault(self, a: FiredAlarm, tolerance_ms: int) -> int | None:
        """Index of the latest-starting fault at or before the alarm that still covers it."""
        k = (a.elevator_id, a.alarm_type)
        candidates = self.faults.get(k)
        if not candidates:
            return None
        i = bisect.bisect_right(self.starts[k], a.at_ms) - 1
        while i >= 0:
            g = candidates[i]
            if g.end_ms + tolerance_ms >= a.at_ms:
                return i
            if a.at_ms - g.start_ms > 86_400_000:
                return None
            i -= 1
        return None

    def lookalike_at(self, a: FiredAlarm, tolerance_ms: int) -> GroundTruth | None:
        for g in self.lookalikes.get(a.elevator_id, ()):
            if g.start_ms <= a.at_ms <= g.end_ms + tolerance_ms:
                return g
        return None


def evaluate(
    alarms: Sequence[FiredAlarm],
    truth: Sequence[GroundTruth],
    tolerance_ms: int = 5_000,
) -> dict[str, TypeScore]:
    """Per alarm type: precision, recall and delays (see the module docstring)."""
    scores: dict[str, TypeScore] = defaultdict(TypeScore)
    index = _Truth.index(truth, scores)
    first_hit: dict[tuple[int, str, int], int] = {}
    for a in alarms:
        s = scores[a.alarm_type]
        s.alarms += 1
        hit = index.matching_fault(a, tolerance_ms)
        if hit is not None:
            s.true_positives += 1
            key = (a.elevator_id, a.alarm_type, hit)
            if key not in first_hit or a.at_ms < first_hit[key]:
                first_hit[key] = a.at_ms
            continue
        look = index.lookalike_at(a, tolerance_ms)
        if look is not None:
            s.on_lookalike[look.kind] = s.on_lookalike.get(look.kind, 0) + 1
    for (eid, kind, i), at in first_hit.items():
        g = index.faults[(eid, kind)][i]
        s = scores[kind]
        s.detected += 1
        s.delays_ms.append(at - g.start_ms)
    return dict(scores)
