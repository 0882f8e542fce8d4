"""A small reference detector applying the rules of /work/shared/domain.md to samples.

Used to check that the simulator's ground truth is exact: a rule-abiding detector finds
every injected fault and nothing else, a naive one (no flicker tolerance, no
appearance check, no mode check) does worse on the look-alikes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from domain.codes import DOOR_CLOSED as CLOSED
from domain.codes import MODE_NORMAL as NORMAL
from domain.samples import StatusColumns


@dataclass(frozen=True)
class Detection:
    kind: str
    start_ms: int  # when the condition began
    raised_ms: int  # when the rule fired


def _runs(cond: np.ndarray, ts: np.ndarray, end_ms: int) -> list[tuple[int, int, int]]:
    """(first index, start ms, end ms) of each run of True samples."""
    out = []
    i, n = 0, cond.size
    while i < n:
        if cond[i]:
            j = i
            while j + 1 < n and cond[j + 1]:
                j += 1
            out.append((i, int(ts[i]), int(ts[j + 1]) if j + 1 < n else end_ms))
            i = j + 1
        else:
            i += 1
    return out


def entrapments(st: StatusColumns, hold_s: float = 30, naive: bool = False) -> list[Detection]:
    """Person present, doors closed, car stopped, normal service, held ``hold_s``.

    The rule-abiding variant bridges absences shorter than 10 s and ignores presence
    that appears while the car is already closed and idle (nobody could have entered).
    """
    ts = st.ts_ms
    base = (st.door == CLOSED) & (st.car == 0) & (st.mode == NORMAL)
    pas = st.passenger.copy()
    if not naive:
        for i, a, b in _runs(~pas & base, ts, int(ts[-1]) + 1):
            if b - a < 10_000 and i > 0 and pas[i - 1] and base[i - 1]:
                k = i
                while k < ts.size and ts[k] < b:
                    pas[k] = True
                    k += 1
    out = []
    for i, a, b in _runs(pas & base, ts, int(ts[-1]) + 1):
        appeared = i > 0 and base[i - 1] and not st.passenger[i - 1]
        if not naive and (i == 0 or appeared):
            continue
        if b - a >= hold_s * 1000:
            out.append(Detection("entrapment", a, a + int(hold_s * 1000)))
    return out


def stopped_outside(st: StatusColumns, hold_s: float = 45, naive: bool = False) -> list[Detection]:
    cond = (st.car == 0) & ~st.door_zone
    if not naive:
        cond &= st.mode == NORMAL
    return [
        Detection("stopped_outside_door_zone", a, a + int(hold_s * 1000))
        for _, a, b in _runs(cond, st.ts_ms, int(st.ts_ms[-1]) + 1)
        if b - a >= hold_s * 1000
    ]
