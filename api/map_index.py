"""The in-memory index behind the one map: every elevator's display position, company,
district and map status as numpy arrays, clustered on a screen-pixel grid per request.

Statuses are ranked; a cluster's "worst" is the highest rank present in it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

import numpy as np
import numpy.typing as npt

from fleet.errors import MapQueryError
from fleet.map_repository import FleetPositions, StatusFlags


class MapStatus(IntEnum):
    NORMAL = 0
    MAINTENANCE_DUE = 1
    HIGH_RISK = 2
    OFFLINE = 3
    FAULT = 4
    ENTRAPMENT = 5

    @property
    def label(self) -> str:
        return self.name.lower()


STATUS_NAMES = [s.label for s in MapStatus]
N_STATUS = len(MapStatus)
MAX_CELLS = 20_000  # clusters per response; a larger view is clustered at a lower zoom


def _breakdown(row: npt.NDArray[np.int64]) -> dict[str, int]:
    return {STATUS_NAMES[i]: int(n) for i, n in enumerate(row.tolist()) if n}


def parse_statuses(text: str | None) -> list[MapStatus] | None:
    if not text:
        return None
    out = []
    for part in text.split(","):
        name = part.strip().lower()
        if name not in STATUS_NAMES:
            raise MapQueryError(f"unknown status {part!r}; one of: {', '.join(STATUS_NAMES)}")
        out.append(MapStatus(STATUS_NAMES.index(name)))
    return out


def mercator(
    lon: npt.NDArray[np.float64], lat: npt.NDArray[np.float64]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Web-mercator world coordinates in [0, 1] (x east, y south), as Leaflet tiles."""
    x = (lon + 180.0) / 360.0
    s = np.sin(np.radians(np.clip(lat, -85.05112878, 85.05112878)))
    y = 0.5 - np.log((1 + s) / (1 - s)) / (4 * math.pi)
    return x, y


def compute_status(ids: npt.NDArray[np.int32], flags: StatusFlags) -> npt.NDArray[np.uint8]:
    status = np.zeros(len(ids), dtype=np.uint8)
    # Ascending rank: a later assignment overrides an earlier one.
    for rank, flagged in (
        (MapStatus.MAINTENANCE_DUE, flags.maintenance_due),
        (MapStatus.HIGH_RISK, flags.high_risk),
        (MapStatus.OFFLINE, flags.offline),
        (MapStatus.FAULT, flags.fault),
        (MapStatus.ENTRAPMENT, flags.entrapment),
    ):
        status[np.isin(ids, flagged, assume_unique=True)] = int(rank)
    return status


@dataclass
class MapFilter:
    statuses: list[MapStatus] | None = None
    district: str | None = None
    company_id: int | None = None


@dataclass
class MapIndex:
    ids: npt.NDArray[np.int32]
    lon: npt.NDArray[np.float64]  # display coordinates (GCJ-02 when the basemap wants it)
    lat: npt.NDArray[np.float64]
    company: npt.NDArray[np.int32]
    district: npt.NDArray[np.int16]
    districts: list[str]
    status: npt.NDArray[np.uint8]
    x: npt.NDArray[np.float64] = field(init=False)
    y: npt.NDArray[np.float64] = field(init=False)
    # Web-mercator pixels at zoom 22 (2^30 per world): a grid cell of 2^k pixels at zoom z
    # is a right shift by 30 - 8 - z + k, much cheaper than float scaling per request.
    px: npt.NDArray[np.int32] = field(init=False)
    py: npt.NDArray[np.int32] = field(init=False)

    def __post_init__(self) -> None:
        self.x, self.y = mercator(self.lon, self.lat)
        full = float(2**30 - 1)
        self.px = np.clip(self.x * 2**30, 0, full).astype(np.int32)
        self.py = np.clip(self.y * 2**30, 0, full).astype(np.int32)

    @classmethod
    def build(
        cls,
        fleet: FleetPositions,
        flags: StatusFlags,
        lon: npt.NDArray[np.float64] | None = None,
        lat: npt.NDArray[np.float64] | None = None,
    ) -> MapIndex:
        return cls(
            ids=fleet.ids,
            lon=fleet.lon if lon is None else lon,
            lat=fleet.lat if lat is None else lat,
            company=fleet.company,
            district=fleet.district,
            districts=fleet.districts,
            status=compute_status(fleet.ids, flags),
        )

    def __len__(self) -> int:
        return len(self.ids)

    def positions(self, elevator_ids: npt.ArrayLike) -> npt.NDArray[np.intp]:
        """Index positions of the given ids; -1 for ids not in the index."""
        wanted = np.asarray(elevator_ids, dtype=np.int64)
        if len(self.ids) == 0:
            return np.full(len(wanted), -1, dtype=np.intp)
        pos = np.minimum(np.searchsorted(self.ids, wanted), len(self.ids) - 1)
        return np.where(self.ids[pos] == wanted, pos, -1).astype(np.intp)

    def update(self, elevator_ids: list[int], flags: StatusFlags) -> dict[int, str]:
        """Recompute the status of these elevators; returns id -> status name."""
        pos = self.positions(elevator_ids)
        known = pos >= 0
        ids = np.asarray(elevator_ids, dtype=np.int32)[known]
        self.status[pos[known]] = compute_status(ids, flags)
        return {
            int(i): STATUS_NAMES[int(s)] for i, s in zip(ids, self.status[pos[known]], strict=True)
        }

    def status_of(self, elevator_id: int) -> str | None:
        p = int(self.positions([elevator_id])[0])
        return None if p < 0 else STATUS_NAMES[int(self.status[p])]

    def company_of(self, elevator_id: int) -> int | None:
        p = int(self.positions([elevator_id])[0])
        return None if p < 0 else int(self.company[p])

    def ids_with_status(self, statuses: list[MapStatus]) -> npt.NDArray[np.int32]:
        return self.ids[np.isin(self.status, np.asarray(statuses, dtype=np.uint8))]

    def _select(self, bbox: tuple[float, float, float, float], f: MapFilter) -> Any:
        minlon, minlat, maxlon, maxlat = bbox
        mask = (self.lon >= minlon) & (self.lon <= maxlon)
        mask &= (self.lat >= minlat) & (self.lat <= maxlat)
        if f.company_id is not None:
            mask &= self.company == f.company_id
        if f.district is not None:
            if f.district not in self.districts:
                return np.zeros(0, dtype=np.intp)
            mask &= self.district == self.districts.index(f.district)
        if f.statuses is not None:
            allowed = np.zeros(N_STATUS, dtype=bool)
            allowed[[int(s) for s in f.statuses]] = True
            mask &= allowed[self.status]
        return np.flatnonzero(mask)

    def query(
        self,
        bbox: tuple[float, float, float, float],
        zoom: int,
        f: MapFilter,
        cell_px: int,
        points_zoom: int,
        points_max: int,
    ) -> dict[str, Any]:
        """GeoJSON FeatureCollection of clusters or single elevators in ``bbox``."""
        sel = self._select(bbox, f)
        totals = np.bincount(self.status[sel], minlength=N_STATUS)
        meta: dict[str, Any] = {
            "zoom": zoom,
            "total": len(sel),
            "statuses": {STATUS_NAMES[i]: int(n) for i, n in enumerate(totals) if n},
        }
        if zoom >= points_zoom and len(sel) <= points_max:
            meta["mode"] = "points"
            features = self._points(sel)
        else:
            meta["mode"] = "clusters"
            features = self._clusters(sel, bbox, zoom, cell_px)
        return {"type": "FeatureCollection", "features": features, "meta": meta}

    def _coord(self, p: int) -> list[float]:
        return [round(float(self.lon[p]), 6), round(float(self.lat[p]), 6)]

    def _cells(
        self, sel: npt.NDArray[np.intp] | None, zoom: int, cell_px: int
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """Grid cell column and row of the elevators ``sel`` (None: all) at ``zoom``."""
        px = self.px if sel is None else self.px[sel]
        py = self.py if sel is None else self.py[sel]
        shift = 30 - 8 - zoom + int(math.log2(cell_px))
        if cell_px & (cell_px - 1) == 0 and 0 <= shift < 31:
            return (px >> shift).astype(np.int64), (py >> shift).astype(np.int64)
        scale = 256.0 * 2.0**zoom / cell_px / 2**30
        return (px * scale).astype(np.int64), (py * scale).astype(np.int64)

    def _points(self, sel: npt.NDArray[np.intp]) -> list[dict[str, Any]]:
        return [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [round(lo, 6), round(la, 6)]},
                "properties": {"id": i, "status": STATUS_NAMES[s], "company_id": c},
            }
            for i, lo, la, s, c in zip(
                self.ids[sel].tolist(),
                self.lon[sel].tolist(),
                self.lat[sel].tolist(),
                self.status[sel].tolist(),
                self.company[sel].tolist(),
                strict=True,
            )
        ]

    def _clusters(
        self,
        sel: npt.NDArray[np.intp],
        bbox: tuple[float, float, float, float],
        zoom: int,
        cell_px: int,
    ) -> list[dict[str, Any]]:
        if len(sel) == 0:
            return []
        stats = _cell_stats(self._grid(sel, _cluster_zoom(bbox, zoom, cell_px), cell_px))
        features: list[dict[str, Any]] = []
        for k, (c, count, lon, lat, worst) in enumerate(
            zip(
                stats.cells.tolist(),
                stats.counts.tolist(),
                stats.mean_lon.tolist(),
                stats.mean_lat.tolist(),
                stats.worst.tolist(),
                strict=True,
            )
        ):
            if count == 1:
                features.append(self._lone_feature(stats.single[c]))
            else:
                features.append(_cluster_feature(count, lon, lat, worst, stats.by_status[k]))
        return features

    def _grid(self, sel: npt.NDArray[np.intp], zoom: int, cell_px: int) -> _Grid:
        """Dense cell numbers of the elevators ``sel`` on the grid at ``zoom``."""
        # Most of the fleet in view (the city at low zoom): work on the whole arrays and
        # park the unselected elevators in an extra bin, rather than gathering.
        if len(sel) * 2 > len(self.ids):
            cx, cy = self._cells(None, zoom, cell_px)
            chosen = np.zeros(len(self.ids), dtype=bool)
            chosen[sel] = True
            x0, y0 = int(cx[sel].min()), int(cy[sel].min())
            ny = int(cy[sel].max()) - y0 + 1
            cell = (cx - x0) * ny + (cy - y0)
            n_cells = int(cell[sel].max()) + 1
            cell = np.where(chosen, cell, n_cells)  # the parking bin
            return _Grid(cell, n_cells, self.lon, self.lat, self.status, None)
        cx, cy = self._cells(sel, zoom, cell_px)
        cx -= cx.min()
        cy -= cy.min()
        cell = cx * (int(cy.max()) + 1) + cy
        n_cells = int(cell.max()) + 1
        return _Grid(cell, n_cells, self.lon[sel], self.lat[sel], self.status[sel], sel)

    def _lone_feature(self, p: int) -> dict[str, Any]:
        """The feature of a cell holding the single elevator at position ``p``."""
        return {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": self._coord(p)},
            "properties": {
                "id": int(self.ids[p]),
                "status": STATUS_NAMES[int(self.status[p])],
                "company_id": int(self.company[p]),
            },
        }


def _cluster_zoom(bbox: tuple[float, float, float, float], zoom: int, cell_px: int) -> int:
    """``zoom``, lowered until the view holds at most MAX_CELLS grid cells."""
    bx0, by1 = mercator(np.array([bbox[0]]), np.array([bbox[1]]))
    bx1, by0 = mercator(np.array([bbox[2]]), np.array([bbox[3]]))
    span = max(float(bx1[0] - bx0[0]), 1e-12) * max(float(by1[0] - by0[0]), 1e-12)
    while zoom > 0 and span * (256.0 * 2.0**zoom / cell_px) ** 2 > MAX_CELLS:
        zoom -= 1
    return zoom


@dataclass(frozen=True)
class _Grid:
    """Elevators on a clustering grid: each one's dense cell number (``n_cells``: the
    parking bin of unselected ones), with its position and status."""

    cell: npt.NDArray[np.int64]
    n_cells: int
    lon: npt.NDArray[np.float64]
    lat: npt.NDArray[np.float64]
    status: npt.NDArray[np.uint8]
    index: npt.NDArray[np.intp] | None  # index positions of those elevators (None: all)


@dataclass(frozen=True)
class _CellStats:
    """Aggregates of the non-empty cells (dense numbers ``cells``, ascending)."""

    cells: npt.NDArray[np.intp]
    counts: npt.NDArray[np.int64]
    by_status: npt.NDArray[np.int64]  # cells x N_STATUS
    mean_lon: npt.NDArray[np.float64]
    mean_lat: npt.NDArray[np.float64]
    worst: npt.NDArray[np.int64]
    single: dict[int, int]  # cell number -> index position of its one elevator


def _cell_stats(grid: _Grid) -> _CellStats:
    # Dense cell numbers: one O(n) bincount per aggregate, no sort.
    n_cells, cell = grid.n_cells, grid.cell
    by_status_all = np.bincount(
        cell * N_STATUS + grid.status, minlength=(n_cells + 1) * N_STATUS
    ).reshape(-1, N_STATUS)[:n_cells]
    all_counts = by_status_all.sum(axis=1)
    cells = np.flatnonzero(all_counts)
    counts = all_counts[cells]
    by_status = by_status_all[cells]
    mean_lon = np.bincount(cell, weights=grid.lon, minlength=n_cells + 1)[cells] / counts
    mean_lat = np.bincount(cell, weights=grid.lat, minlength=n_cells + 1)[cells] / counts
    # The member of each single-elevator cell, by cell number.
    lone = np.flatnonzero(np.append(all_counts, 0)[cell] == 1)
    members = lone if grid.index is None else grid.index[lone]
    single = dict(zip(cell[lone].tolist(), members.tolist(), strict=True))
    worst = N_STATUS - 1 - np.argmax(by_status[:, ::-1] > 0, axis=1)
    return _CellStats(cells, counts, by_status, mean_lon, mean_lat, worst, single)


def _cluster_feature(
    count: int, lon: float, lat: float, worst: int, row: npt.NDArray[np.int64]
) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [round(lon, 5), round(lat, 5)]},
        "properties": {
            "cluster": True,
            "count": count,
            "worst": STATUS_NAMES[worst],
            "statuses": {STATUS_NAMES[i]: int(row[i]) for i in range(N_STATUS) if row[i]},
        },
    }
