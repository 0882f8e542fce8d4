"""Terminal id -> elevator, loaded from ``elevators`` and reloaded when an unknown
terminal shows up (rate-limited), so newly registered elevators are ingested.

Every known elevator gets a dense, stable index (its position in the numpy arrays of
:class:`ingest.presence.PresenceTracker`); a reload appends new elevators and never
moves existing ones.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from domain.validation import floor_range
from ingest.repository.elevators import TerminalRow


class ElevatorRef(NamedTuple):
    elevator_id: int
    slot: int  # dense index into the presence arrays
    lowest_floor: int
    highest_floor: int


class ElevatorRegistry:
    def __init__(self, refresh_s: float = 5.0) -> None:
        self.by_terminal: dict[str, ElevatorRef] = {}
        self._by_id: dict[int, int] = {}
        self.ids: list[int] = []
        self.report_interval_ms = np.zeros(0, dtype=np.int64)
        self._refresh_s = refresh_s
        self._last_load = -1e18

    def __len__(self) -> int:
        return len(self.ids)

    def index_of(self, elevator_id: int) -> int | None:
        return self._by_id.get(elevator_id)

    def load(self, rows: Iterable[TerminalRow]) -> int:
        """(Re)load the registry from the elevators' terminal rows; returns how many
        elevators are new."""
        self._last_load = time.monotonic()
        added = 0
        intervals: list[int] = []
        by_terminal = self.by_terminal
        by_id = self._by_id
        for row in rows:
            elevator_id, terminal = row.id, row.terminal_id
            ref = by_terminal.get(terminal)
            lowest, highest = floor_range(row.lowest_floor, row.floors)
            if ref is not None and ref.elevator_id == elevator_id:
                if (ref.lowest_floor, ref.highest_floor) != (lowest, highest):
                    by_terminal[terminal] = ref._replace(lowest_floor=lowest, highest_floor=highest)
                continue
            index = by_id.get(elevator_id)
            if index is None:
                index = len(self.ids)
                self.ids.append(elevator_id)
                by_id[elevator_id] = index
                intervals.append(int(float(row.report_interval_s) * 1000))
                added += 1
            by_terminal[terminal] = ElevatorRef(elevator_id, index, lowest, highest)
        if intervals:
            self.report_interval_ms = np.concatenate(
                [self.report_interval_ms, np.asarray(intervals, dtype=np.int64)]
            )
        return added

    def may_refresh(self) -> bool:
        return time.monotonic() - self._last_load >= self._refresh_s

    def id_array(self) -> npt.NDArray[np.int64]:
        return np.asarray(self.ids, dtype=np.int64)
