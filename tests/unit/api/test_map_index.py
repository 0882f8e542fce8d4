"""The in-memory map index: status ranking, filters, grid clustering, points."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from api.map_index import MAX_CELLS, MapFilter, MapIndex, MapStatus, parse_statuses
from domain.geo import wgs84_to_gcj02
from domain.geo import wgs84_to_gcj02_array as gcj_vec
from fleet.errors import MapQueryError
from fleet.map_repository import FleetPositions, StatusFlags

CITY = (112.9, 22.5, 114.1, 23.95)


def ids(*v: int) -> npt.NDArray[np.int64]:
    return np.asarray(v, dtype=np.int64)


def flags(**kw: npt.NDArray[np.int64]) -> StatusFlags:
    empty = ids()
    return StatusFlags(
        entrapment=kw.get("entrapment", empty),
        fault=kw.get("fault", empty),
        offline=kw.get("offline", empty),
        high_risk=kw.get("high_risk", empty),
        maintenance_due=kw.get("maintenance_due", empty),
    )


def fleet(n: int, seed: int = 1) -> FleetPositions:
    rng = np.random.default_rng(seed)
    return FleetPositions(
        ids=np.arange(1, n + 1, dtype=np.int32),
        lon=rng.uniform(113.1, 113.6, n),
        lat=rng.uniform(22.9, 23.3, n),
        company=(np.arange(n) % 4 + 1).astype(np.int32),
        district=(np.arange(n) % 3).astype(np.int16),
        districts=["Haizhu", "Tianhe", "Yuexiu"],
    )


def test_worst_status_wins() -> None:
    f = fleet(6)
    idx = MapIndex.build(
        f,
        flags(
            maintenance_due=ids(1, 2, 3, 4, 5),
            high_risk=ids(2, 3, 4, 5),
            offline=ids(3, 4, 5),
            fault=ids(4, 5),
            entrapment=ids(5),
        ),
    )
    assert [idx.status_of(i) for i in range(1, 7)] == [
        "maintenance_due",
        "high_risk",
        "offline",
        "fault",
        "entrapment",
        "normal",
    ]
    assert idx.status_of(999) is None


def test_incremental_update_changes_only_named_elevators() -> None:
    idx = MapIndex.build(fleet(10), flags(fault=ids(3)))
    changed = idx.update([3, 4, 77], flags(entrapment=ids(4)))
    assert changed == {3: "normal", 4: "entrapment"}  # 77 is not in the index
    assert idx.status_of(3) == "normal"
    assert idx.status_of(4) == "entrapment"
    assert idx.ids_with_status([MapStatus.ENTRAPMENT]).tolist() == [4]


def test_clusters_conserve_counts_and_statuses() -> None:
    f = fleet(5000)
    idx = MapIndex.build(f, flags(fault=np.arange(1, 5001, 7, dtype=np.int64), entrapment=ids(10)))
    out = idx.query(CITY, 10, MapFilter(), cell_px=64, points_zoom=16, points_max=3000)
    assert out["meta"]["mode"] == "clusters"
    assert out["meta"]["total"] == 5000
    total = 0
    worst_entrapment = 0
    for feat in out["features"]:
        p = feat["properties"]
        if p.get("cluster"):
            assert sum(p["statuses"].values()) == p["count"]
            worst = max(p["statuses"], key=lambda s: MapStatus[s.upper()])
            assert p["worst"] == worst
            worst_entrapment += p["worst"] == "entrapment"
            total += p["count"]
        else:
            total += 1
    assert total == 5000
    assert worst_entrapment == 1
    assert out["meta"]["statuses"]["entrapment"] == 1
    assert out["meta"]["statuses"]["fault"] == len(range(1, 5001, 7)) - (10 % 7 == 1)


def test_more_zoom_means_more_clusters_and_points_at_street_level() -> None:
    idx = MapIndex.build(fleet(2000), flags())
    sizes = [
        len(
            idx.query(CITY, z, MapFilter(), cell_px=64, points_zoom=16, points_max=3000)["features"]
        )
        for z in (8, 10, 12)
    ]
    assert sizes[0] < sizes[1] < sizes[2]
    out = idx.query(CITY, 16, MapFilter(), cell_px=64, points_zoom=16, points_max=3000)
    assert out["meta"]["mode"] == "points"
    assert len(out["features"]) == 2000
    capped = idx.query(CITY, 16, MapFilter(), cell_px=64, points_zoom=16, points_max=100)
    assert capped["meta"]["mode"] == "clusters"


def test_a_huge_view_at_high_zoom_is_coarsened() -> None:
    idx = MapIndex.build(fleet(20000), flags())
    out = idx.query((-180, -85, 180, 85), 15, MapFilter(), 64, points_zoom=22, points_max=10)
    assert len(out["features"]) <= MAX_CELLS


def test_filters_bbox_company_district_status() -> None:
    f = fleet(400)
    idx = MapIndex.build(f, flags(fault=ids(1, 2, 3, 4)))

    def q(flt: MapFilter, box: tuple[float, float, float, float] = CITY) -> dict[str, Any]:
        return idx.query(box, 18, flt, 64, 16, 3000)

    own = q(MapFilter(company_id=2))
    assert {ft["properties"]["company_id"] for ft in own["features"]} == {2}
    assert own["meta"]["total"] == int(np.sum(f.company == 2))
    assert q(MapFilter(district="Tianhe"))["meta"]["total"] == int(np.sum(f.district == 1))
    assert q(MapFilter(district="Atlantis"))["meta"]["total"] == 0
    faults = q(MapFilter(statuses=[MapStatus.FAULT]))
    assert sorted(ft["properties"]["id"] for ft in faults["features"]) == [1, 2, 3, 4]
    west = (113.0, 22.8, 113.35, 23.4)
    inside = (f.lon >= west[0]) & (f.lon <= west[2])
    assert q(MapFilter(), west)["meta"]["total"] == int(inside.sum())


def test_parse_statuses() -> None:
    assert parse_statuses(None) is None
    assert parse_statuses("fault, Entrapment") == [MapStatus.FAULT, MapStatus.ENTRAPMENT]
    with pytest.raises(MapQueryError, match="unknown status"):
        parse_statuses("fault,purple")


def test_vectorised_gcj02_matches_the_scalar_formula() -> None:
    rng = np.random.default_rng(3)
    lon = np.concatenate([rng.uniform(113, 114, 50), [2.35]])
    lat = np.concatenate([rng.uniform(22.5, 23.9, 50), [48.85]])
    vlon, vlat = gcj_vec(lon, lat)
    for i in range(len(lon)):
        slon, slat = wgs84_to_gcj02(float(lon[i]), float(lat[i]))
        assert vlon[i] == pytest.approx(slon, abs=1e-12)
        assert vlat[i] == pytest.approx(slat, abs=1e-12)
