"""Terminal presence: online/offline from the retained ``online`` topic (the last will
says offline) and a per-terminal heartbeat timeout: ``heartbeat_intervals`` times the
registered report interval, or the learned one when that is longer (a terminal that
reports less often than registered is not offline between its messages; the interval
is followed from the gaps between its messages as the detectors' sensor health does,
:func:`analytics.detectors.health.follow_interval`).

State lives in numpy arrays indexed by the registry's dense elevator index, so the
timeout scan over 250,000 terminals is a couple of vectorised comparisons. Only real
transitions (online -> offline, offline -> online) become :class:`PresenceChange`s;
a terminal never seen since start is "unknown" and is not timed out.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from analytics.detectors.health import (
    COUNT_CAP,
    MIN_GAPS,
    SHORT_GAP_MS,
    follow_interval,
    regular_gap_limit,
)
from ingest.batch import PresenceChange

UNKNOWN, ONLINE, OFFLINE = 0, 1, 2
DAY_MS = 86_400_000


class PresenceTracker:
    def __init__(self, heartbeat_intervals: float) -> None:
        self._factor = heartbeat_intervals
        self.state = np.zeros(0, dtype=np.int8)
        self.last_seen_ms = np.zeros(0, dtype=np.int64)
        self.timeout_ms = np.zeros(0, dtype=np.int64)
        self.registered_ms = np.zeros(0, dtype=np.int64)
        self.interval_ms = np.zeros(0, dtype=np.float64)  # learned (when gaps_n >= MIN_GAPS)
        self.gaps_n = np.zeros(0, dtype=np.float64)
        self.ids = np.zeros(0, dtype=np.int64)
        # While ingest works through a backlog, silence is not the terminal's fault:
        # nobody is timed out before this time plus their timeout.
        self.quiet_since_ms = 0

    def resize(self, ids: npt.NDArray[np.int64], report_interval_ms: npt.NDArray[np.int64]) -> None:
        known, count = len(self.state), len(ids)
        if count > known:
            grow = count - known
            self.state = np.concatenate([self.state, np.zeros(grow, dtype=np.int8)])
            self.last_seen_ms = np.concatenate([self.last_seen_ms, np.zeros(grow, dtype=np.int64)])
            self.interval_ms = np.concatenate([self.interval_ms, np.zeros(grow)])
            self.gaps_n = np.concatenate([self.gaps_n, np.zeros(grow)])
        self.ids = ids
        self.registered_ms = report_interval_ms.astype(np.int64)
        self.timeout_ms = self._timeouts(slice(None))

    def _timeouts(self, at: slice | npt.NDArray[np.intp]) -> npt.NDArray[np.int64]:
        learned = np.where(self.gaps_n[at] >= MIN_GAPS, self.interval_ms[at], 0.0)
        interval = np.maximum(self.registered_ms[at], learned)
        out: npt.NDArray[np.int64] = (interval * self._factor).astype(np.int64)
        return out

    def restore(self, index: int, online: bool, last_seen_ms: int) -> None:
        """Initial state from the database (``elevator_status.online``)."""
        self.state[index] = ONLINE if online else OFFLINE
        self.last_seen_ms[index] = last_seen_ms

    def restore_intervals(
        self, indexes: npt.NDArray[np.intp], gaps_n: npt.NDArray[np.float64],
        interval_ms: npt.NDArray[np.float64],
    ) -> None:  # fmt: skip
        """Learned report intervals saved before a restart (the detectors' sensor health,
        learned by the same rule), so that a terminal reporting less often than
        registered is not timed out between its messages while it is learned again.
        Values that are not finite and positive, or beyond a day, are ignored."""
        n = np.minimum(np.nan_to_num(gaps_n, nan=0.0, posinf=0.0), COUNT_CAP)
        ok = (n > 0) & np.isfinite(interval_ms) & (interval_ms > 0) & (interval_ms <= DAY_MS)
        at = indexes[ok]
        self.interval_ms[at], self.gaps_n[at] = interval_ms[ok], n[ok]
        self.timeout_ms[at] = self._timeouts(at)

    def seen(self, indexes: npt.NDArray[np.int64], at_ms: npt.NDArray[np.int64]) -> list[int]:
        """Terminals heard from; returns the indexes that were offline (now back)."""
        if len(indexes) == 0:
            return []
        self._learn_intervals(indexes, at_ms)
        np.maximum.at(self.last_seen_ms, indexes, at_ms)
        back = np.unique(indexes[self.state[indexes] == OFFLINE])
        self.state[indexes] = ONLINE
        return [int(i) for i in back]

    def _learn_intervals(
        self, indexes: npt.NDArray[np.int64], at_ms: npt.NDArray[np.int64]
    ) -> None:
        """Fold the gaps between each terminal's messages (and its previous one) into
        its learned report interval: gaps from ``SHORT_GAP_MS`` (a burst of changes) to
        its timeout (or ``LEARN_GAP_MS`` until learned; longer is a silence)."""
        order = np.lexsort((at_ms, indexes))
        idx, at = indexes[order], at_ms[order]
        prev = self.last_seen_ms[idx].copy()
        same = np.zeros(len(idx), np.bool_)
        same[1:] = idx[1:] == idx[:-1]
        prev[same] = at[:-1][same[1:]]
        gap = at - prev
        limit = regular_gap_limit(self.timeout_ms[idx], self.gaps_n[idx])
        regular = (prev > 0) & (gap >= SHORT_GAP_MS) & (gap <= limit)
        if not regular.any():
            return
        n = np.zeros(len(self.state))
        total = np.zeros(len(self.state))
        np.add.at(n, idx[regular], 1.0)
        np.add.at(total, idx[regular], gap[regular].astype(np.float64))
        hit = np.flatnonzero(n)
        self.interval_ms[hit], self.gaps_n[hit] = follow_interval(
            self.interval_ms[hit], self.gaps_n[hit], n[hit], total[hit] / n[hit]
        )
        self.timeout_ms[hit] = self._timeouts(hit)

    def seen_changes(
        self, indexes: npt.NDArray[np.int64], at_ms: npt.NDArray[np.int64], now_ms: int
    ) -> list[PresenceChange]:
        return [PresenceChange(int(self.ids[i]), True, now_ms) for i in self.seen(indexes, at_ms)]

    def announce(self, index: int, online: bool, at_ms: int) -> PresenceChange | None:
        """A message on the terminal's online topic (or its last will)."""
        before = int(self.state[index])
        if online:
            self.last_seen_ms[index] = max(int(self.last_seen_ms[index]), at_ms)
            self.state[index] = ONLINE
            return PresenceChange(int(self.ids[index]), True, at_ms) if before == OFFLINE else None
        self.state[index] = OFFLINE
        return PresenceChange(int(self.ids[index]), False, at_ms) if before != OFFLINE else None

    def expire(self, now_ms: int) -> list[PresenceChange]:
        """Online terminals silent for longer than their heartbeat timeout go offline."""
        if len(self.state) == 0:
            return []
        seen = np.maximum(self.last_seen_ms, self.quiet_since_ms)
        late = np.flatnonzero((self.state == ONLINE) & (now_ms - seen > self.timeout_ms))
        if len(late) == 0:
            return []
        self.state[late] = OFFLINE
        return [PresenceChange(int(self.ids[i]), False, now_ms) for i in late]
