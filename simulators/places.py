"""Vectorised point placement inside district outlines."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from domain.districts import District

F64 = npt.NDArray[np.float64]


def inside(lon: F64, lat: F64, outline: tuple[tuple[float, float], ...]) -> npt.NDArray[np.bool_]:
    """Ray-casting point-in-polygon test for many points at once."""
    result = np.zeros(lon.shape, dtype=np.bool_)
    n = len(outline)
    for i in range(n):
        xi, yi = outline[i]
        xj, yj = outline[i - 1]
        crosses = (yi > lat) != (yj > lat)
        with np.errstate(divide="ignore", invalid="ignore"):
            x_at = (xj - xi) * (lat - yi) / (yj - yi) + xi
        result ^= crosses & (lon < x_at)
    return result


def sample_points(
    district: District, k: int, rng: np.random.Generator, spread: float
) -> tuple[F64, F64]:
    """``k`` points inside the district's outline, concentrated around its centre.

    Points are drawn from a normal distribution around the centre whose standard
    deviation is ``spread`` times the outline's extent (small = dense core), and redrawn
    until they fall inside the outline.
    """
    x0, y0, x1, y1 = district.bbox()
    sx, sy = (x1 - x0) * spread, (y1 - y0) * spread
    lon = np.empty(k)
    lat = np.empty(k)
    filled = 0
    while filled < k:
        m = max(64, int((k - filled) * 1.6))
        cx = rng.normal(district.lon, sx, m)
        cy = rng.normal(district.lat, sy, m)
        ok = inside(cx, cy, district.outline)
        take = min(int(ok.sum()), k - filled)
        lon[filled : filled + take] = cx[ok][:take]
        lat[filled : filled + take] = cy[ok][:take]
        filled += take
    return lon, lat


def jitter_m(lon: F64, lat: F64, metres: float, rng: np.random.Generator) -> tuple[F64, F64]:
    """Positions moved by a normal offset of ``metres`` standard deviation."""
    dlat = rng.normal(0.0, metres / 111_320.0, lon.shape)
    dlon = rng.normal(0.0, metres / (111_320.0 * np.cos(np.radians(lat))), lon.shape)
    return lon + dlon, lat + dlat
