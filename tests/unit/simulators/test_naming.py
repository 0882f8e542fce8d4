"""The synthetic fleet's Chinese names and places: addresses on roads of the right
district near the elevator, valid phone numbers, unique names, deterministic by seed."""

from __future__ import annotations

import math
import re
from collections import Counter
from datetime import date

import numpy as np
import pytest

from domain.districts import DISTRICTS, district_by_name
from domain.fleet import BuildingType, Fleet
from simulators.fleet import generate_fleet
from simulators.naming import company_names, landlines, mobiles, places

AS_OF = date(2026, 12, 1)
MOBILE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE = re.compile(r"^020-[2-8]\d{7}$")
ADDRESS = re.compile(
    r"^广州市(?P<district>\S+?区)(?P<road>\S+?)(?P<number>\d+)号(?P<building>\S+)$"
)
CJK = re.compile(r"^[\u4e00-\u9fff（）0-9]+$")


@pytest.fixture(scope="module")
def fleet() -> Fleet:
    return generate_fleet(2000, 7, AS_OF)


def _km_to_outline(lon: float, lat: float, outline: tuple[tuple[float, float], ...]) -> float:
    """Distance (km, flat earth) from a point to the nearest edge of a polygon."""
    kx, ky = 111.32 * math.cos(math.radians(lat)), 110.57
    best = math.inf
    for (x1, y1), (x2, y2) in zip(outline, outline[1:] + outline[:1], strict=True):
        ax, ay, bx, by = (x1 - lon) * kx, (y1 - lat) * ky, (x2 - lon) * kx, (y2 - lat) * ky
        dx, dy = bx - ax, by - ay
        t = max(0.0, min(1.0, -(ax * dx + ay * dy) / (dx * dx + dy * dy)))
        best = min(best, math.hypot(ax + t * dx, ay + t * dy))
    return best


def test_every_district_has_roads_subdistricts_and_stations_in_place() -> None:
    data = places()
    assert set(data) == {d.name for d in DISTRICTS}
    names = [r.name for p in data.values() for r in p.roads]
    assert len(names) == len(set(names)), "a road is listed in two districts"
    for name, p in data.items():
        d = district_by_name(name)
        assert len(p.roads) >= 7, name
        assert p.subdistricts
        assert p.metro
        assert all(s.endswith("街道") for s in p.subdistricts)
        for r in p.roads:
            assert CJK.match(r.name), r
            assert 30 <= r.max_no <= 3000, r
            # The outlines are approximate: a road lies in its district or within 3 km.
            assert d.contains(r.lon, r.lat) or _km_to_outline(r.lon, r.lat, d.outline) < 3.0, (
                name,
                r,
            )


def test_addresses_name_a_road_of_the_elevators_district_near_it(fleet: Fleet) -> None:
    data = places()
    for e in fleet.elevators:
        m = ADDRESS.match(e.address)
        assert m is not None, e.address
        d = district_by_name(e.district)
        assert m["district"] == d.name_zh, e.address
        roads = {r.name: r for r in data[e.district].roads}
        assert m["road"] in roads, e.address
        number = int(m["number"])
        assert 1 <= number <= roads[m["road"]].max_no + 10, e.address
        # One of the three roads of its district nearest to the elevator (its estate's
        # first block's, a few tens of metres away).
        dist = sorted(math.hypot(r.lon - e.lon, r.lat - e.lat) for r in roads.values())
        road = roads[m["road"]]
        assert math.hypot(road.lon - e.lon, road.lat - e.lat) <= dist[2] + 0.002
        assert d.contains(e.lon, e.lat)
        if e.building_type is BuildingType.METRO:
            assert m["building"].startswith("地铁"), e.address
        if e.building_type is BuildingType.RESIDENTIAL:
            assert m["building"].endswith("栋"), e.address


def test_buildings_of_one_unit_are_neighbours(fleet: Fleet) -> None:
    by_unit: dict[int, set[str]] = {}
    spots: dict[int, list[tuple[float, float]]] = {}
    for e in fleet.elevators:
        if e.user_unit_id is not None and e.building_type is BuildingType.RESIDENTIAL:
            m = ADDRESS.match(e.address)
            assert m is not None
            by_unit.setdefault(e.user_unit_id, set()).add(m["district"] + m["road"])
            spots.setdefault(e.user_unit_id, []).append((e.lon, e.lat))
    # A unit's residential buildings share the road (unless a unit straddles districts)
    # and stand within a few hundred metres of each other.
    shared = sum(1 for roads in by_unit.values() if len(roads) == 1)
    assert shared / len(by_unit) > 0.95
    close = sum(
        1 for pts in spots.values()
        if max(math.hypot(a[0] - b[0], a[1] - b[1]) for a in pts for b in pts) < 0.003
    )  # fmt: skip
    assert close / len(spots) > 0.95


def test_companies_units_and_people_have_chinese_names(fleet: Fleet) -> None:
    companies = [c.name for c in fleet.companies]
    assert len(set(companies)) == len(companies)
    assert all(n.startswith("广州") or "广州" in n for n in companies)
    assert all(n.endswith(("有限公司", "分公司", "服务中心")) for n in companies)
    unit_kinds = ("物业服务中心", "办事处", "管理处", "医院", "站务中心", "学校", "中学", "小学")
    kinds = Counter(next(k for k in unit_kinds if k in u.name) for u in fleet.user_units)
    assert kinds["物业服务中心"] > kinds["医院"] > 0
    assert kinds["办事处"] > 0
    assert kinds["学校"] + kinds["中学"] + kinds["小学"] > 0
    for r in fleet.rescuers:
        assert 2 <= len(r.name) <= 3, r.name
        assert CJK.match(r.name), r.name
    for s in fleet.stations:
        assert s.name.startswith(district_by_name(s.district).name_zh + "96333"), s.name
    assert len({s.name for s in fleet.stations}) == len(fleet.stations)


def test_phone_numbers_have_the_right_format_and_are_distinct(fleet: Fleet) -> None:
    phones = [r.phone for r in fleet.rescuers]
    assert all(MOBILE.match(p) for p in phones), phones[:5]
    assert len(set(phones)) == len(phones)
    duty = [c.duty_phone for c in fleet.companies]
    assert all(LANDLINE.match(p) for p in duty), duty[:5]
    assert len(set(duty)) == len(duty)
    rng = np.random.default_rng(3)
    assert all(MOBILE.match(p) for p in mobiles(500, rng))
    assert all(LANDLINE.match(p) for p in landlines(500, rng))


def test_names_are_deterministic_by_seed_and_leave_the_numbers_alone(fleet: Fleet) -> None:
    again = generate_fleet(2000, 7, AS_OF)
    assert again == fleet
    other = generate_fleet(2000, 8, AS_OF)
    assert [e.address for e in other.elevators] != [e.address for e in fleet.elevators]
    # Names draw from their own stream: the registration codes stay as they were.
    for e in fleet.elevators[:50]:
        assert len(e.code) == 20
        assert e.code.isdigit()
        assert e.code[4:10] == district_by_name(e.district).adcode


def test_company_names_stay_unique_beyond_the_name_lists() -> None:
    home = np.random.default_rng(1).integers(0, len(DISTRICTS), 5000)
    names = company_names(home, np.random.default_rng(2))
    assert len(set(names)) == 5000
