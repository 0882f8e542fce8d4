"""The fleet's condition index (AI monitoring factor of the 3+2 score): computed from the
recent daily telemetry statistics and written to ``elevator_condition``, on demand
(``liftwatch db condition``) or every hour in the demo (:class:`ConditionJob`)."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import psycopg

from analytics.anomaly import condition_indices
from maintenance.condition_repository import load_daily_channels, write_conditions

log = logging.getLogger(__name__)


def compute_fleet_condition(database_url: str, today: date | None = None) -> int:
    """Compute every elevator's condition index from recent telemetry and write
    ``elevator_condition``; returns the number of elevators written. The 3+2 score job
    may call this before scoring."""
    day = today or datetime.now(UTC).date()
    with psycopg.connect(database_url) as conn:
        daily = load_daily_channels(conn, day)
        n = daily.elevator_ids.size
        if n == 0:
            return 0
        if not daily.channels:
            index = np.full(n, 100.0)
            a30 = a90 = np.zeros(n, np.int64)
            details: list[dict[str, Any]] = [{"channels": {}, "note": "no analog data"}] * n
        else:
            res = condition_indices(daily.channels)
            index, a30, a90 = res.index, res.anomalies_30d, res.anomalies_90d
            names = list(res.channel_scores)
            mat = np.vstack([res.channel_scores[k] for k in names]).T.round(3).tolist()
            details = [{"channels": dict(zip(names, row, strict=True))} for row in mat]
        written = write_conditions(
            conn, daily.elevator_ids, index, a30, a90, details, datetime.now(UTC)
        )
        conn.commit()
    return written


class ConditionJob:
    """Recomputes the fleet's condition indices every ``interval_s`` (demo runner)."""

    name = "condition"

    def __init__(self, database_url: str, interval_s: float = 3600.0) -> None:
        self.database_url = database_url
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.runs = 0

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="condition-job", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while True:
            try:
                compute_fleet_condition(self.database_url)
                self.runs += 1
            except Exception:
                log.exception("condition index job failed")
            if self._stop.wait(self.interval_s):
                return

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
