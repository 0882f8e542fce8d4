"""Passenger demand: journeys per elevator and hour, by building type and local hour.

A *journey* is one passenger group's ride: the car (if elsewhere) travels empty to the
origin landing, opens, takes the passengers on, closes, runs to the destination, opens
and lets them off. Journeys arrive as a Poisson process whose hourly rate is
``HOURLY[type][hour] * weekday factor``; hours are Guangzhou local time (UTC+8).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import numpy.typing as npt

from domain.fleet import BuildingType

LOCAL_TZ = timezone(timedelta(hours=8))  # China Standard Time, no DST
HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS

# fmt: off
HOURLY: dict[BuildingType, tuple[float, ...]] = {
    #                        0    1    2    3    4    5    6    7    8    9   10   11
    #                       12   13   14   15   16   17   18   19   20   21   22   23
    BuildingType.RESIDENTIAL: (2.0, 1.0, 0.5, 0.5, 0.5, 1.0, 6.0, 24.0, 30.0, 14.0, 9.0, 10.0,
                               14.0, 12.0, 8.0, 8.0, 10.0, 16.0, 26.0, 28.0, 20.0, 14.0, 8.0, 4.0),
    BuildingType.OFFICE: (0.5, 0.3, 0.2, 0.2, 0.2, 0.3, 1.0, 12.0, 55.0, 45.0, 25.0, 28.0,
                          42.0, 40.0, 24.0, 22.0, 22.0, 38.0, 48.0, 20.0, 10.0, 6.0, 3.0, 1.0),
    BuildingType.MALL: (1.0, 0.5, 0.2, 0.2, 0.2, 0.2, 0.5, 1.0, 3.0, 8.0, 22.0, 30.0,
                        36.0, 34.0, 38.0, 38.0, 32.0, 30.0, 36.0, 40.0, 38.0, 26.0, 10.0, 3.0),
    BuildingType.HOSPITAL: (6.0, 5.0, 4.0, 4.0, 4.0, 5.0, 8.0, 22.0, 44.0, 46.0, 42.0, 38.0,
                            26.0, 30.0, 38.0, 36.0, 30.0, 22.0, 14.0, 12.0, 10.0, 8.0, 7.0, 6.0),
    BuildingType.METRO: (2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 12.0, 36.0, 42.0, 26.0, 18.0, 18.0,
                         20.0, 20.0, 18.0, 18.0, 22.0, 36.0, 40.0, 26.0, 20.0, 16.0, 12.0, 6.0),
}
# Weekend multipliers (Saturday, Sunday); weekdays are 1.
WEEKEND: dict[BuildingType, float] = {
    BuildingType.RESIDENTIAL: 1.1, BuildingType.OFFICE: 0.25, BuildingType.MALL: 1.35,
    BuildingType.HOSPITAL: 0.7, BuildingType.METRO: 0.8,
}
# fmt: on


def local_hour_and_weekday(ts_ms: npt.NDArray[np.int64]) -> tuple[
    npt.NDArray[np.int64], npt.NDArray[np.int64]
]:  # fmt: skip
    """Local (UTC+8) hour of day and weekday (Monday 0) of epoch-ms times."""
    local = ts_ms + 8 * HOUR_MS
    hour = (local // HOUR_MS) % 24
    weekday = (local // DAY_MS + 3) % 7  # 1970-01-01 was a Thursday
    return hour.astype(np.int64), weekday.astype(np.int64)


def hourly_rate(btype: BuildingType, ts_ms: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
    """Journeys per hour at these times for one elevator of this building type."""
    hour, weekday = local_hour_and_weekday(ts_ms)
    rates = np.asarray(HOURLY[btype])[hour]
    out: npt.NDArray[np.float64] = np.where(weekday >= 5, rates * WEEKEND[btype], rates)
    return out


def journey_arrivals(
    btype: BuildingType, start_ms: int, end_ms: int, rng: np.random.Generator
) -> npt.NDArray[np.int64]:
    """Journey request times in ``[start_ms, end_ms)``: a piecewise-constant Poisson process.

    Exact for the model: per local hour, a Poisson count with the hour's rate times the
    covered fraction, placed uniformly in the covered part.
    """
    if end_ms <= start_ms:
        return np.empty(0, np.int64)
    first = start_ms - start_ms % HOUR_MS
    edges = np.arange(first, end_ms + HOUR_MS, HOUR_MS, dtype=np.int64)
    lo = np.maximum(edges[:-1], start_ms)
    hi = np.minimum(edges[1:], end_ms)
    keep = hi > lo
    lo, hi = lo[keep], hi[keep]
    lam = hourly_rate(btype, lo) * (hi - lo) / HOUR_MS
    counts = rng.poisson(lam)
    base = np.repeat(lo, counts)
    span = np.repeat(hi - lo, counts)
    times = base + (rng.random(base.size) * span).astype(np.int64)
    return np.sort(times)


def epoch_ms(d: datetime) -> int:
    if d.tzinfo is None:
        d = d.replace(tzinfo=UTC)
    return int(d.timestamp() * 1000)
