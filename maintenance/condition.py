"""The fleet's condition index (AI monitoring factor of the 3+2 score): computed from the
recent daily telemetry statistics and written to ``elevator_condition``, on demand
(``liftwatch db condition``) or every hour in the demo (:class:`ConditionJob`)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import psycopg

from analytics.anomaly import condition_indices
from maintenance.condition_repository import load_daily_channels, write_conditions
from storage.jobs import PeriodicJob


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


class ConditionJob(PeriodicJob):
    """Recomputes the fleet's condition indices every ``interval_s`` (demo runner)."""

    name = "condition"

    def __init__(self, database_url: str, interval_s: float = 3600.0) -> None:
        super().__init__(interval_s)
        self.database_url = database_url

    def run_once(self) -> int:
        return compute_fleet_condition(self.database_url)
