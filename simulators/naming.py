"""Chinese names and places for a synthetic Guangzhou fleet, from the data files in
``simulators/data`` (real roads, subdistricts and metro stations per district; invented
company, building and person names).

Everything is drawn from the ``numpy.random.Generator`` passed in, so a fleet's names
are deterministic for its seed. A building's road is one of the three roads of its own
district nearest to its position, so the address agrees with the map.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import numpy.typing as npt

from domain.districts import DISTRICTS
from domain.fleet import BuildingType

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]

TYPES = tuple(BuildingType)
CITY = "广州市"
NEAREST_ROADS = 3  # a building's road is one of its district's roads nearest to it
SCHOOL_SHARE = 0.2  # office-type buildings that are a school's teaching buildings
MAX_TRIES = 20  # draws for a company name not taken yet
LANDLINE_FIRST = "2368"  # first digits of Guangzhou's 8-digit numbers (020-XXXXXXXX)


@dataclass(frozen=True)
class Road:
    name: str
    lon: float
    lat: float
    max_no: int


@dataclass(frozen=True)
class DistrictPlaces:
    roads: tuple[Road, ...]
    subdistricts: tuple[str, ...]
    metro: tuple[tuple[str, str], ...]  # (station, line)


def _read(name: str) -> Any:
    return json.loads(resources.files("simulators.data").joinpath(name).read_text("utf-8"))


@cache
def places() -> dict[str, DistrictPlaces]:
    """Roads, subdistricts and metro stations by (English) district name."""
    raw = _read("guangzhou_places.json")["districts"]
    return {
        name: DistrictPlaces(
            roads=tuple(Road(r[0], float(r[1]), float(r[2]), int(r[3])) for r in d["roads"]),
            subdistricts=tuple(d["subdistricts"]),
            metro=tuple((m[0], m[1]) for m in d["metro"]),
        )
        for name, d in raw.items()
    }


@cache
def words() -> dict[str, tuple[str, ...]]:
    """The name parts (companies, buildings, people, phone prefixes)."""
    return {k: tuple(v) for k, v in _read("names.json").items() if not k.startswith("_")}


def _pick(options: tuple[str, ...], rng: np.random.Generator) -> str:
    return options[int(rng.integers(0, len(options)))]


def company_names(home: I64, rng: np.random.Generator) -> list[str]:
    """A unique name per company (``home``: its district index): mostly local firms
    (广州穗安电梯工程有限公司), some invented brands' local branches."""
    taken: set[str] = set()
    out: list[str] = []
    for h in home.tolist():
        zh = DISTRICTS[h].name_zh
        name = ""
        for _ in range(MAX_TRIES):
            name = _company_name(zh, rng)
            if name not in taken:
                break
        n = 2
        base = name
        while name in taken:  # a large fleet outgrows the name lists: numbered branches
            name = f"{base}{zh.removesuffix('区')}第{n}分公司"
            n += 1
        taken.add(name)
        out.append(name)
    return out


def _company_name(district_zh: str, rng: np.random.Generator) -> str:
    w = words()
    if rng.random() < 0.15:
        suffix = _pick(w["brand_suffixes"], rng).format(district=district_zh.removesuffix("区"))
        return _pick(w["brands"], rng) + suffix
    prefix = "广州市" + district_zh if rng.random() < 0.25 else "广州"
    return prefix + _pick(w["company_trade_names"], rng) + _pick(w["company_suffixes"], rng)


def landlines(k: int, rng: np.random.Generator) -> list[str]:
    """``k`` distinct Guangzhou landline numbers, 020-XXXXXXXX."""
    taken: set[str] = set()
    out: list[str] = []
    while len(out) < k:
        first = LANDLINE_FIRST[int(rng.integers(0, len(LANDLINE_FIRST)))]
        number = f"020-{first}{int(rng.integers(0, 10**7)):07d}"
        if number not in taken:
            taken.add(number)
            out.append(number)
    return out


def mobiles(k: int, rng: np.random.Generator) -> list[str]:
    """``k`` distinct mainland mobile numbers (11 digits, 1[3-9]X prefixes)."""
    prefixes = words()["mobile_prefixes"]
    taken: set[str] = set()
    out: list[str] = []
    while len(out) < k:
        number = _pick(prefixes, rng) + f"{int(rng.integers(0, 10**8)):08d}"
        if number not in taken:
            taken.add(number)
            out.append(number)
    return out


NUMERALS = "一二三四五六七八九十"


def ordinal_zh(k: int) -> str:
    """1 -> 一, 10 -> 十, 11 -> 11 (the count of stations on one road stays small)."""
    return NUMERALS[k - 1] if 1 <= k <= len(NUMERALS) else str(k)


def person_name(rng: np.random.Generator) -> str:
    w = words()
    return _pick(w["surnames"], rng) + _pick(w["given_names"], rng)


def nearest_roads(district: int, lon: F64, lat: F64, rng: np.random.Generator) -> I64:
    """For points in one district: the index of a road among its ``NEAREST_ROADS``
    nearest roads of that district (nearer ones likelier)."""
    roads = places()[DISTRICTS[district].name].roads
    rlon = np.array([r.lon for r in roads])
    rlat = np.array([r.lat for r in roads])
    dist = np.hypot((lon[:, None] - rlon[None, :]) * np.cos(np.radians(23.1)), lat[:, None] - rlat)
    k = min(NEAREST_ROADS, len(roads))
    order = np.argsort(dist, axis=1)[:, :k]
    weights = np.array([0.6, 0.28, 0.12])[:k]
    choice = rng.choice(k, size=lon.size, p=weights / weights.sum())
    out: I64 = order[np.arange(lon.size), choice]
    return out


@dataclass(frozen=True)
class Places:
    """Per building: its address (with its name); per user unit: its name."""

    addresses: list[str]
    unit_names: list[str]


@dataclass
class _Unit:
    """What the buildings of one user unit share."""

    district: int
    road: int
    number: int  # the first building's house number
    estate: str
    blocks: int = 1  # buildings so far


def _estate(rng: np.random.Generator) -> str:
    w = words()
    return _pick(w["place_words"], rng) + _pick(w["estate_suffixes"], rng)


def _school(district: int, rng: np.random.Generator) -> str:
    w = words()
    return (
        DISTRICTS[district].name_zh + _pick(w["school_words"], rng) + _pick(w["school_kinds"], rng)
    )


def _hospital(district: int, rng: np.random.Generator) -> str:
    w = words()
    prefix = "广州" if rng.random() < 0.5 else DISTRICTS[district].name_zh
    return prefix + _pick(w["hospital_words"], rng) + "医院"


def _building(
    btype: BuildingType, district: int, estate: str, k: int, rng: np.random.Generator
) -> tuple[str, str]:
    """(building name, the name of a user unit this building would head)."""
    w = words()
    zh = DISTRICTS[district].name_zh
    if btype is BuildingType.RESIDENTIAL:
        u = rng.random()
        old_city = DISTRICTS[district].name in ("Yuexiu", "Liwan")
        if u < (0.3 if old_city else 0.1):
            sub = _pick(places()[DISTRICTS[district].name].subdistricts, rng)
            unit = f"{zh}{sub}办事处"
        elif u < 0.85:
            unit = f"{estate}物业服务中心"
        else:
            unit = f"{_pick(w['property_companies'], rng)}{estate}管理处"
        return f"{estate}{k}栋", unit
    if btype is BuildingType.OFFICE:
        if rng.random() < SCHOOL_SHARE:
            school = _school(district, rng)
            return school + _pick(w["school_buildings"], rng), school
        name = _pick(w["place_words"], rng) + _pick(w["office_suffixes"], rng)
        return name, f"{name}物业服务中心"
    if btype is BuildingType.MALL:
        name = _pick(w["place_words"], rng) + _pick(w["mall_suffixes"], rng)
        return name, f"{name}{'商场管理处' if rng.random() < 0.5 else '物业服务中心'}"
    if btype is BuildingType.HOSPITAL:
        hospital = _hospital(district, rng)
        return hospital + _pick(w["hospital_buildings"], rng), hospital
    station, line = places()[DISTRICTS[district].name].metro[
        int(rng.integers(0, len(places()[DISTRICTS[district].name].metro)))
    ]
    return f"地铁{line}{station}站", f"地铁{line}{station}站站务中心"


def building_places(
    district: I64, btype: I64, lon: F64, lat: F64, unit_of_b: I64, rng: np.random.Generator
) -> Places:
    """Addresses of buildings (sorted by district) and names of their user units.

    The buildings of one unit are neighbours: same estate name, same road, consecutive
    even or odd house numbers (when they lie in the same district)."""
    road = np.zeros(district.size, dtype=np.int64)
    for d in np.unique(district).tolist():
        idx = np.flatnonzero(district == d)
        road[idx] = nearest_roads(d, lon[idx], lat[idx], rng)
    units: dict[int, _Unit] = {}
    unit_names: dict[int, str] = {}
    addresses: list[str] = []
    for b, (d, t, u) in enumerate(
        zip(district.tolist(), btype.tolist(), unit_of_b.tolist(), strict=True)
    ):
        shared = units.get(u)
        if shared is None or shared.district != d:
            max_no = places()[DISTRICTS[d].name].roads[int(road[b])].max_no
            first_no = int(rng.integers(1, max(2, max_no - 10)))
            shared = _Unit(d, int(road[b]), first_no, _estate(rng))
            units.setdefault(u, shared)
        else:
            shared.blocks += 1
        name, unit_name = _building(TYPES[t], d, shared.estate, shared.blocks, rng)
        unit_names.setdefault(u, unit_name)
        r = places()[DISTRICTS[d].name].roads[shared.road]
        number = shared.number + 2 * (shared.blocks - 1)
        addresses.append(f"{CITY}{DISTRICTS[d].name_zh}{r.name}{number}号{name}")
    return Places(addresses, [unit_names[u] for u in range(len(unit_names))])
