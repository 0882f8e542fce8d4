"""The one map: clustered GeoJSON of the whole fleet, district outlines, UI settings."""

from __future__ import annotations

import importlib
from typing import Annotated, Any

import msgspec
import numpy as np
from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field

from api.deps import CurrentPrincipal, company_scope, require_roles
from api.errors import AUTHENTICATED, media_response
from api.map_index import STATUS_NAMES, MapFilter, MapIndex, parse_statuses
from api.params import STATUS_LIST_PATTERN
from api.security import Principal, Role
from domain.geo import wgs84_to_gcj02_array
from fleet.errors import MapIndexLoading, MapQueryError
from fleet.policy import company_filter

router = APIRouter(prefix="/api/v1", tags=["map"], responses=AUTHENTICATED)

Viewer = Annotated[Principal, Depends(require_roles(Role.SUPERVISOR, Role.DESK, Role.COMPANY))]


_NUMBER = r"-?[0-9]{1,3}(\.[0-9]{1,12})?"
BBOX_PATTERN = f"^{_NUMBER}(,{_NUMBER}){{3}}$"
_BBOX_FORMAT = "bbox must be four numbers: minlon,minlat,maxlon,maxlat"


def _bbox(text: str) -> tuple[float, float, float, float]:
    try:
        parts = [float(p) for p in text.split(",")]
    except ValueError:
        raise MapQueryError(_BBOX_FORMAT) from None
    if len(parts) != 4 or not all(np.isfinite(parts)):
        raise MapQueryError(_BBOX_FORMAT)
    minlon, minlat, maxlon, maxlat = parts
    if not (-180 <= minlon < maxlon <= 180 and -90 <= minlat < maxlat <= 90):
        raise MapQueryError(
            "bbox out of range: need -180 <= minlon < maxlon <= 180"
            " and -90 <= minlat < maxlat <= 90"
        )
    return minlon, minlat, maxlon, maxlat


def _index(request: Request) -> MapIndex:
    index: MapIndex | None = request.app.state.map_keeper.index
    if index is None:
        raise MapIndexLoading("map index is loading; retry")
    return index


@router.get(
    "/map",
    response_class=Response,
    responses=media_response("GeoJSON", "application/geo+json"),
)
async def fleet_map(
    request: Request,
    principal: Viewer,
    bbox: Annotated[
        str,
        Query(max_length=200, pattern=BBOX_PATTERN, description="minlon,minlat,maxlon,maxlat"),
    ],
    zoom: Annotated[int, Query(ge=0, le=22)],
    status_: Annotated[
        str | None,
        Query(
            alias="status",
            max_length=200,
            pattern=STATUS_LIST_PATTERN,
            description=f"comma-separated: {', '.join(STATUS_NAMES)}",
        ),
    ] = None,
    district: Annotated[str | None, Query(max_length=64)] = None,
    company: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
) -> Response:
    """Clusters (count, status breakdown, worst status) or single elevators in the view.

    A company user sees only its own elevators."""
    box = _bbox(bbox)
    statuses = parse_statuses(status_)
    company = company_filter(company_scope(principal), company)
    settings = request.app.state.config.api
    result = _index(request).query(
        box,
        zoom,
        MapFilter(statuses=statuses, district=district, company_id=company),
        cell_px=settings.map_cell_px,
        points_zoom=settings.map_points_zoom,
        points_max=settings.map_points_max,
    )
    return Response(msgspec.json.encode(result), media_type="application/geo+json")


def _district_records() -> list[Any]:
    try:
        module = importlib.import_module("domain.districts")
    except ImportError:
        return []
    return list(getattr(module, "DISTRICTS", []))


def _pair(value: Any) -> tuple[float, float]:
    if isinstance(value, dict):
        return float(value["lon"]), float(value["lat"])
    if hasattr(value, "lon"):
        return float(value.lon), float(value.lat)
    return float(value[0]), float(value[1])


def district_geojson(gcj02: bool) -> dict[str, Any]:
    """District outlines (polygons) and label points from :mod:`domain.districts`."""
    features: list[dict[str, Any]] = []
    for d in _district_records():
        name = str(getattr(d, "name", ""))
        outline = getattr(d, "outline", None) or getattr(d, "polygon", None) or []
        ring = np.asarray([_pair(p) for p in outline], dtype=np.float64).reshape(-1, 2)
        centre = getattr(d, "centre", None) or getattr(d, "center", None)
        c = np.asarray([_pair(centre)] if centre is not None else ring.mean(axis=0, keepdims=True))
        if gcj02:
            if len(ring):
                ring = np.column_stack(wgs84_to_gcj02_array(ring[:, 0], ring[:, 1]))
            c = np.column_stack(wgs84_to_gcj02_array(c[:, 0], c[:, 1]))
        props = {"name": name, "urban": bool(getattr(d, "urban", True))}
        if len(ring) >= 3:
            coords = np.round(ring, 5).tolist()
            if coords[0] != coords[-1]:
                coords.append(coords[0])
            features.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "Polygon", "coordinates": [coords]},
                    "properties": {**props, "kind": "outline"},
                }
            )
        if len(c):
            features.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": np.round(c[0], 5).tolist()},
                    "properties": {**props, "kind": "label"},
                }
            )
    return {"type": "FeatureCollection", "features": features}


@router.get(
    "/districts",
    response_class=Response,
    responses=media_response("GeoJSON", "application/geo+json"),
)
async def districts(request: Request, principal: CurrentPrincipal) -> Response:
    """District outlines and label positions, in the basemap's coordinate system."""
    gcj02 = request.app.state.config.api.tile_crs == "gcj02"
    return Response(msgspec.json.encode(district_geojson(gcj02)), media_type="application/geo+json")


class UiConfig(BaseModel):
    tile_url: str
    tile_attribution: str
    tile_crs: str
    statuses: list[str]
    map_points_zoom: int
    center: list[float] = Field(min_length=2, max_length=2, description="[lon, lat]")
    districts: list[str]


@router.get("/ui-config", response_model=UiConfig)
async def ui_config(request: Request) -> UiConfig:
    """What the web UI needs before login: basemap, status names, initial view."""
    settings = request.app.state.config.api
    index: MapIndex | None = request.app.state.map_keeper.index
    center = (113.30, 23.13)
    if index is not None and len(index):
        center = (float(np.median(index.lon)), float(np.median(index.lat)))
    return UiConfig(
        tile_url=settings.tile_url,
        tile_attribution=settings.tile_attribution,
        tile_crs=settings.tile_crs,
        statuses=STATUS_NAMES,
        map_points_zoom=settings.map_points_zoom,
        center=list(center),
        districts=index.districts if index is not None else [],
    )
