"""Repository of the condition index: daily analog values in, ``elevator_condition`` out.

:func:`load_daily_channels` builds (elevators x days) matrices of daily channel values
from ``telemetry_daily`` (mean vibration, mean absolute leveling error; when the view
has been refreshed) and, for the last ``analog_days``, from the ``telemetry`` analog map
(any named float channel, averaged per day), which fills the days the view lacks: a
Timescale continuous aggregate is created empty and materializes behind real time.
:func:`write_conditions` upserts the result.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
import psycopg
from psycopg.rows import scalar_row
from psycopg.types.json import Jsonb

DAILY_CHANNELS = {"vibration": "mean_vibration", "leveling_mm": "mean_abs_leveling_mm"}


@dataclass(frozen=True)
class DailyChannels:
    elevator_ids: npt.NDArray[np.int64]
    first_day: date
    channels: dict[str, npt.NDArray[np.float64]]  # (elevators, days), NaN where missing


def _daily_view_populated(conn: psycopg.Connection[Any]) -> bool:
    with conn.cursor(row_factory=scalar_row) as cur:
        populated = cur.execute(
            "SELECT ispopulated FROM pg_matviews WHERE matviewname = 'telemetry_daily'"
        ).fetchone()
        if populated is None:  # TimescaleDB: a continuous aggregate, readable but maybe empty
            return cur.execute("SELECT to_regclass('telemetry_daily')").fetchone() is not None
    return bool(populated)


def load_daily_channels(
    conn: psycopg.Connection[Any], today: date, days: int = 90, analog_days: int = 14
) -> DailyChannels:
    first = today - timedelta(days=days - 1)
    with conn.cursor(row_factory=scalar_row) as cur:
        ids = np.array(cur.execute("SELECT id FROM elevators ORDER BY id").fetchall(), np.int64)
    slot = {int(e): i for i, e in enumerate(ids.tolist())}
    channels: dict[str, npt.NDArray[np.float64]] = {}

    def put(name: str, eid: int, day: date, value: float | None, replace: bool = True) -> None:
        i = slot.get(int(eid))
        j = (day - first).days
        if i is None or value is None or not 0 <= j < days:
            return
        m = channels.get(name)
        if m is None:
            m = channels[name] = np.full((ids.size, days), np.nan)
        if replace or np.isnan(m[i, j]):
            m[i, j] = float(value)

    start = datetime.combine(first, datetime.min.time(), UTC)
    if _daily_view_populated(conn):
        cols = ", ".join(DAILY_CHANNELS.values())
        rows = conn.execute(
            f"SELECT elevator_id, day, {cols} FROM telemetry_daily WHERE day >= %s",  # noqa: S608
            (start,),
        ).fetchall()
        for elevator_id, day, *values in rows:
            for name, value in zip(DAILY_CHANNELS, values, strict=True):
                put(name, elevator_id, day.astimezone(UTC).date(), value)
    analog_start = datetime.combine(
        today - timedelta(days=analog_days - 1), datetime.min.time(), UTC
    )
    rows = conn.execute(
        """SELECT t.elevator_id, date_trunc('day', t.ts, 'UTC') AS day, a.key,
                  avg((a.value)::double precision)
           FROM telemetry t, jsonb_each_text(t.analog) AS a(key, value)
           WHERE t.ts >= %s AND t.analog IS NOT NULL
             AND a.value ~ '^-?[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?$'
           GROUP BY 1, 2, 3""",
        (analog_start,),
    ).fetchall()
    for eid, day, key, value in rows:  # a day the daily view has is kept from the view
        put(str(key), eid, day.astimezone(UTC).date(), value, replace=False)
    return DailyChannels(ids, first, channels)


def write_conditions(
    conn: psycopg.Connection[Any],
    elevator_ids: npt.NDArray[np.int64],
    index: npt.NDArray[np.float64],
    anomalies_30d: npt.NDArray[np.int64],
    anomalies_90d: npt.NDArray[np.int64],
    details: list[dict[str, Any]],
    computed_at: datetime,
) -> int:
    """Upsert one row per elevator; returns the number written."""
    rows = [
        (int(e), round(float(i), 2), int(a30), int(a90), computed_at, Jsonb(d))
        for e, i, a30, a90, d in zip(
            elevator_ids.tolist(),
            index.tolist(),
            anomalies_30d.tolist(),
            anomalies_90d.tolist(),
            details,
            strict=True,
        )
    ]
    with conn.cursor() as cur:
        cur.executemany(
            """INSERT INTO elevator_condition (elevator_id, condition_index, anomalies_30d,
                                               anomalies_90d, computed_at, detail)
               VALUES (%s, %s, %s, %s, %s, %s)
               ON CONFLICT (elevator_id) DO UPDATE SET
                   condition_index = EXCLUDED.condition_index,
                   anomalies_30d = EXCLUDED.anomalies_30d,
                   anomalies_90d = EXCLUDED.anomalies_90d,
                   computed_at = EXCLUDED.computed_at,
                   detail = EXCLUDED.detail""",
            rows,
        )
    return len(rows)
