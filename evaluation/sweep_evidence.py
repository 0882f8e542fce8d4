"""What evidence of a trapped passenger each sweep entrapment's terminal delivered,
judged from the delivered samples and the truth, independently of the detectors
(``liftwatch eval detect --sensor-sweep``: ``recall_clear``).

An entrapment's evidence is looked for from the moment its doors last began to close
until the alarm is due (the stop plus T). It is:

- ``clear``: the alarm button; a load-cell sample with a person's weight (the true
  load at a delivered sample is 30 kg or more: the cell adds its offset and noise);
  presence, from a sensor that is not stuck on, on a sample of the running car or of
  the doors closing; or presence on two or more samples of the stopped, closed car at
  least ``HELD_MS`` apart (a glitch is shorter);
- ``ambiguous``: presence only on the open-door samples before the doors closed (people
  boarding look the same as people getting off), or on a single sample of the closed
  car (a glitch looks the same);
- ``none``: nothing delivered shows anyone.

Only ``clear`` evidence can be asked of a detector; an entrapment between floors with
less is what a possible entrapment is for (the desk sees it and may open a case).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from analytics.detectors.entrapment import HELD_MS
from analytics.evaluation import FiredAlarm
from domain.codes import CAR_RUNNING, DOOR_CLOSED, DOOR_CLOSING
from domain.groundtruth import GroundTruth
from domain.samples import StatusColumns
from simulators.sensors import PresenceModel

CLEAR, AMBIGUOUS, NONE = "clear", "ambiguous", "none"
PERSON_KG = 30.0


@dataclass(frozen=True)
class Terminal:
    """One elevator as a sweep cell sees it: the true dense samples, the delivered
    samples (any order), the alarm-button press times, the sensors."""

    truth: StatusColumns
    seen: StatusColumns
    button_ms: npt.NDArray[np.int64]
    presence: PresenceModel
    load_cell: bool


def _closing_started(truth: StatusColumns, stop_ms: int) -> int:
    """When the doors last began to close before the stop (the closed-door period)."""
    before = np.flatnonzero((truth.ts_ms <= stop_ms) & (truth.door != DOOR_CLOSED))
    if before.shape[0] == 0:
        return int(truth.ts_ms[0])
    i = int(before[-1])
    while i > 0 and truth.door[i - 1] == DOOR_CLOSING:
        i -= 1
    return int(truth.ts_ms[i])


def classify(t: Terminal, g: GroundTruth, entrapment_ms: int) -> str:
    """The evidence class of one entrapment (see the module docstring)."""
    due = g.start_ms + entrapment_ms
    begin = _closing_started(t.truth, g.start_ms)
    if np.any((t.button_ms >= begin) & (t.button_ms <= due)):
        return CLEAR
    s = t.seen
    win = (s.ts_ms >= begin) & (s.ts_ms <= due)
    if t.load_cell:
        at = np.searchsorted(t.truth.ts_ms, s.ts_ms[win])
        if np.any(t.truth.load[np.minimum(at, len(t.truth) - 1)] >= PERSON_KG):
            return CLEAR
    if t.presence is PresenceModel.STUCK_ON:
        return NONE
    pas = win & s.passenger
    moving = (s.car == CAR_RUNNING) | (s.door == DOOR_CLOSING)
    if np.any(pas & moving):
        return CLEAR
    closed = pas & ~moving & (s.door == DOOR_CLOSED) & (s.ts_ms >= g.start_ms)
    held = np.unique(s.ts_ms[closed])
    if held.shape[0] >= 2 and int(held[-1] - held[0]) >= HELD_MS:
        return CLEAR
    # the open-door samples just before the closing (boarding, or getting off)
    before = (s.ts_ms >= begin - 15_000) & (s.ts_ms < begin) & s.passenger
    return AMBIGUOUS if held.shape[0] or np.any(before) else NONE


def detected(alarms: list[FiredAlarm], g: GroundTruth, tolerance_ms: int = 5_000) -> bool:
    """Whether one of these alarms (one elevator's) falls in the episode (as
    :func:`analytics.evaluation.evaluate` matches them)."""
    return any(
        a.elevator_id == g.elevator_id and g.start_ms <= a.at_ms <= g.end_ms + tolerance_ms
        for a in alarms
    )


@dataclass
class EvidenceTally:
    """Per evidence class: entrapments, found as entrapments, found at all (an
    entrapment or a possible entrapment)."""

    total: dict[str, int]
    found: dict[str, int]
    found_or_possible: dict[str, int]

    @classmethod
    def empty(cls) -> EvidenceTally:
        zero = {CLEAR: 0, AMBIGUOUS: 0, NONE: 0}
        return cls(dict(zero), dict(zero), dict(zero))

    def add(self, kind: str, found: bool, found_or_possible: bool) -> None:
        self.total[kind] += 1
        self.found[kind] += found
        self.found_or_possible[kind] += found_or_possible

    def summary(self) -> dict[str, object]:
        clear = self.total[CLEAR]
        weak = self.total[AMBIGUOUS] + self.total[NONE]
        weak_found = self.found_or_possible[AMBIGUOUS] + self.found_or_possible[NONE]
        return {
            "recall_clear": round(self.found[CLEAR] / clear, 4) if clear else None,
            "evidence": dict(self.total),
            "found_without_clear": self.found[AMBIGUOUS] + self.found[NONE],
            "weak_covered_by_possible": round(weak_found / weak, 4) if weak else None,
        }
