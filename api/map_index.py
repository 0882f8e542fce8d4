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

from storage.map_index import FleetPositions, StatusFlags


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


class MapQueryError(ValueError):
    """The map request cannot be answered as asked (bad bbox, unknown status)."""


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

    def __post_init__(self) -> None:
        self.x, self.y = mercator(self.lon, self.lat)

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
        bx0, by1 = mercator(np.array([bbox[0]]), np.array([bbox[1]]))
        bx1, by0 = mercator(np.array([bbox[2]]), np.array([bbox[3]]))
        span = max(float(bx1[0] - bx0[0]), 1e-12) * max(float(by1[0] - by0[0]), 1e-12)
        # Coarsen the grid when the view would hold more than MAX_CELLS cells.
        while zoom > 0 and span * (256.0 * 2.0**zoom / cell_px) ** 2 > MAX_CELLS:
            zoom -= 1
        scale = 256.0 * 2.0**zoom / cell_px
        cx = np.floor(self.x[sel] * scale).astype(np.int64)
        cy = np.floor(self.y[sel] * scale).astype(np.int64)
        cx -= cx.min()
        cy -= cy.min()
        key = cx * (int(cy.max()) + 1) + cy
        cells, first, inverse, counts = np.unique(
            key, return_index=True, return_inverse=True, return_counts=True
        )
        n = len(cells)
        st = self.status[sel].astype(np.int64)
        by_status = np.bincount(inverse * N_STATUS + st, minlength=n * N_STATUS).reshape(
            n, N_STATUS
        )
        mean_lon = np.bincount(inverse, weights=self.lon[sel], minlength=n) / counts
        mean_lat = np.bincount(inverse, weights=self.lat[sel], minlength=n) / counts
        worst = N_STATUS - 1 - np.argmax(by_status[:, ::-1] > 0, axis=1)
        features: list[dict[str, Any]] = []
        for k, (cnt, lo, la, w) in enumerate(
            zip(counts.tolist(), mean_lon.tolist(), mean_lat.tolist(), worst.tolist(), strict=True)
        ):
            if cnt == 1:
                p = int(sel[first[k]])
                features.append(
                    {
                        "type": "Feature",
                        "geometry": {
                            "type": "Point",
                            "coordinates": [
                                round(float(self.lon[p]), 6),
                                round(float(self.lat[p]), 6),
                            ],
                        },
                        "properties": {
                            "id": int(self.ids[p]),
                            "status": STATUS_NAMES[int(self.status[p])],
                            "company_id": int(self.company[p]),
                        },
                    }
                )
                continue
            row = by_status[k]
            features.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [round(lo, 5), round(la, 5)]},
                    "properties": {
                        "cluster": True,
                        "count": cnt,
                        "worst": STATUS_NAMES[w],
                        "statuses": {
                            STATUS_NAMES[i]: int(row[i]) for i in range(N_STATUS) if row[i]
                        },
                    },
                }
            )
        return features
