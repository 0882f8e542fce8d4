"""A synthetic Guangzhou elevator fleet, generated with numpy (250,000 elevators in seconds).

The fleet is built from buildings: each building lies in a district (share by
:attr:`domain.districts.District.density`, concentrated around the district centre), has
a type, a number of floors, an installation date and one maintenance company and user
unit, and holds one or more elevators. Everything is drawn from one
``numpy.random.Generator`` seeded with ``seed``: the same ``(n, seed, as_of)`` gives the
same fleet. Dates (insurance, inspection, installation) are relative to ``as_of``
(default: today); pass it explicitly for fleets that are identical across days.

See docs/simulators.md for the distributions and why.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import numpy.typing as npt

from domain.districts import DISTRICTS
from domain.fleet import (
    BuildingType,
    CreditGrade,
    Elevator,
    Fleet,
    MaintenanceCompany,
    UserUnit,
)
from simulators.naming import building_places, company_names, landlines
from simulators.places import sample_points
from simulators.responders import make_responders

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]

TYPES = tuple(BuildingType)
# Share of buildings by type (residential, office, mall, hospital, metro).
TYPE_SHARE_URBAN = np.array([0.74, 0.09, 0.06, 0.04, 0.07])
TYPE_SHARE_OUTER = np.array([0.84, 0.05, 0.06, 0.03, 0.02])
# Elevators per building by type: inclusive ranges.
CARS_PER_BUILDING = {
    BuildingType.RESIDENTIAL: (1, 4),
    BuildingType.OFFICE: (3, 12),
    BuildingType.MALL: (3, 10),
    BuildingType.HOSPITAL: (3, 10),
    BuildingType.METRO: (2, 5),
}
# Mean age in years of the district's elevators: the old city is older.
MEAN_AGE = {
    "Yuexiu": 17.0, "Liwan": 16.0, "Haizhu": 12.0, "Tianhe": 10.0, "Baiyun": 10.0,
    "Huangpu": 8.0, "Panyu": 8.0, "Huadu": 8.0, "Nansha": 6.0, "Conghua": 8.0,
    "Zengcheng": 7.0,
}  # fmt: skip
MAX_AGE_Y = 35.0
# Spread of positions around the district centre, as a share of the outline's extent.
SPREAD_URBAN = 0.22
SPREAD_OUTER = 0.16
ELEVATORS_PER_COMPANY = 40
# Names and places draw from their own stream, so the fleet's numbers do not depend on
# them (and a change of the name lists leaves positions, dates and faults as they were).
NAMES_STREAM = 0x4E414D45


@dataclass(frozen=True)
class Buildings:
    """Per-building columns (one row per building)."""

    district: I64
    btype: I64
    lon: F64
    lat: F64
    floors: I64
    lowest: I64
    speed: F64
    age_y: F64
    cars: I64


def company_count(n: int) -> int:
    """About one maintenance company per 40 elevators (50 for 2,000), at least 5."""
    return max(5, round(n / ELEVATORS_PER_COMPANY))


def _buildings(n: int, rng: np.random.Generator) -> Buildings:
    """Just enough buildings for ``n`` elevators, grouped by district."""
    weights = np.array([d.density for d in DISTRICTS])
    m = max(8, int(n / 2.0) + 16)  # mean cars per building is ~3: generous, trimmed below
    district = rng.choice(len(DISTRICTS), size=m, p=weights / weights.sum())
    urban = np.array([d.urban for d in DISTRICTS])[district]
    btype = np.where(
        urban,
        rng.choice(len(TYPES), size=m, p=TYPE_SHARE_URBAN),
        rng.choice(len(TYPES), size=m, p=TYPE_SHARE_OUTER),
    )
    lo = np.array([CARS_PER_BUILDING[t][0] for t in TYPES])[btype]
    hi = np.array([CARS_PER_BUILDING[t][1] for t in TYPES])[btype]
    cars = rng.integers(lo, hi + 1)
    ends = np.cumsum(cars)
    if ends[-1] < n:  # pragma: no cover - m is generous
        raise RuntimeError("not enough buildings drawn")
    nb = int(np.searchsorted(ends, n)) + 1
    cars = cars[:nb]
    cars[-1] -= int(ends[nb - 1]) - n
    order = np.argsort(district[:nb], kind="stable")
    district, btype, cars = district[:nb][order], btype[:nb][order], cars[order]
    lon = np.empty(nb)
    lat = np.empty(nb)
    for i, d in enumerate(DISTRICTS):
        idx = np.flatnonzero(district == i)
        if idx.size:
            spread = SPREAD_URBAN if d.urban else SPREAD_OUTER
            lon[idx], lat[idx] = sample_points(d, idx.size, rng, spread)
    floors, lowest = _floors(btype, rng)
    mean_age = np.array([MEAN_AGE[d.name] for d in DISTRICTS])[district]
    # Gamma(2) ages: a growing fleet (~10 %/year) has many young and a long old tail.
    age_y = np.minimum(rng.gamma(2.0, mean_age / 2.0), MAX_AGE_Y)
    speed = _speed(btype, floors, rng)
    return Buildings(district, btype, lon, lat, floors, lowest, speed, age_y, cars)


def _floors(btype: I64, rng: np.random.Generator) -> tuple[I64, I64]:
    """Number of landings and the lowest floor label, fitting the building type."""
    m = btype.size
    high_rise = rng.random(m) < 0.55
    res = np.where(high_rise, rng.integers(12, 35, m), rng.integers(6, 12, m))
    by_type = np.stack(
        [
            res,
            rng.integers(8, 61, m),  # office
            rng.integers(3, 9, m),  # mall
            rng.integers(5, 26, m),  # hospital
            rng.integers(2, 4, m),  # metro: street, concourse, platform
        ]
    )
    above = by_type[btype, np.arange(m)]
    basement_p = np.array([0.35, 0.7, 0.6, 0.5, 0.0])[btype]
    basements = np.where(rng.random(m) < basement_p, rng.integers(1, 3, m), 0)
    is_metro = btype == TYPES.index(BuildingType.METRO)
    basements = np.where(is_metro, above - 1, basements)
    floors = np.where(is_metro, above, above + basements)
    return floors.astype(np.int64), (-basements).astype(np.int64) + (basements == 0)


def _speed(btype: I64, floors: I64, rng: np.random.Generator) -> F64:
    """Rated speed (m/s) from the rise: faster cars in taller buildings."""
    steps = np.array([1.0, 1.5, 1.75, 2.0, 2.5, 3.0, 4.0, 5.0])
    idx = np.digitize(floors, [8, 13, 17, 21, 30, 41, 52]) + rng.integers(-1, 1, floors.size)
    speed = steps[np.clip(idx, 0, steps.size - 1)]
    slow = (btype == TYPES.index(BuildingType.METRO)) | (btype == TYPES.index(BuildingType.MALL))
    out: F64 = np.where(slow, np.minimum(speed, 1.75), speed)
    return out


def _companies(
    k: int, rng: np.random.Generator, names: np.random.Generator
) -> tuple[list[MaintenanceCompany], I64, F64]:
    tech = rng.choice(np.arange(1, 6), size=k, p=[0.07, 0.18, 0.37, 0.26, 0.12])
    score = np.clip(48.0 + 8.5 * tech + rng.normal(0, 7.0, k), 20.0, 99.5).round(1)
    grade = np.where(score >= 85, "A", np.where(score >= 65, "B", "C"))
    size = rng.lognormal(0.0, 0.8, k)
    staff = np.maximum(3, (size * ELEVATORS_PER_COMPANY / 12 * (0.6 + 0.15 * tech))).astype(int)
    home = rng.choice(len(DISTRICTS), size=k, p=[d.density for d in DISTRICTS])
    titles = company_names(home, names)
    phones = landlines(k, names)
    companies = [
        MaintenanceCompany(
            id=i + 1,
            name=titles[i],
            tech_level=int(t),
            credit_grade=CreditGrade(g),
            credit_score=float(s),
            certified_staff=int(st),
            licensed=True,
            paperless=bool(t >= 3 or r < 0.5),
            duty_phone=phones[i],
        )
        for i, (t, s, g, st, r) in enumerate(
            zip(tech, score, grade, staff, rng.random(k), strict=True)
        )
    ]
    return companies, home, size


def _assign_companies(district: I64, home: I64, size: F64, rng: np.random.Generator) -> I64:
    """Company index per building: mostly a company based in the building's district."""
    m = district.size
    out = rng.choice(size.size, size=m, p=size / size.sum())
    local = rng.random(m) < 0.8
    for i in range(len(DISTRICTS)):
        mine = np.flatnonzero(home == i)
        sel = np.flatnonzero(local & (district == i))
        if mine.size and sel.size:
            w = size[mine] / size[mine].sum()
            out[sel] = mine[rng.choice(mine.size, size=sel.size, p=w)]
    return out


def generate_fleet(n: int, seed: int, as_of: date | None = None) -> Fleet:
    """A fleet of ``n`` elevators; deterministic for ``(n, seed, as_of)``."""
    if n < 1:
        raise ValueError("a fleet needs at least one elevator")
    as_of = as_of or date.today()
    rng = np.random.default_rng(seed)
    names = np.random.default_rng([seed, NAMES_STREAM])
    b = _buildings(n, rng)
    bidx = np.repeat(np.arange(b.cars.size), b.cars)
    companies, home, size = _companies(company_count(n), rng, names)
    comp_of_b = _assign_companies(b.district, home, size, rng)
    unit_of_b, mgmt_unit = _unit_levels(b, rng)
    _gather_units(b, unit_of_b)
    places = building_places(b.district, b.btype, b.lon, b.lat, unit_of_b, names)
    units = _user_units(places.unit_names, mgmt_unit, rng)
    company = comp_of_b[bidx]
    unit = unit_of_b[bidx]
    cols = _elevator_columns(b, bidx, companies, company, mgmt_unit[unit], rng)
    elevators = _elevators(b, bidx, company, unit, cols, places.addresses, as_of)
    stations, rescuers = make_responders(
        n, companies, b.district[bidx], company, b.lon[bidx], b.lat[bidx], rng, names
    )
    return Fleet(
        companies=companies,
        user_units=units,
        elevators=elevators,
        stations=stations,
        rescuers=rescuers,
    )


def _unit_levels(b: Buildings, rng: np.random.Generator) -> tuple[I64, I64]:
    """A property manager runs 1-4 neighbouring buildings: the unit of each building and
    each unit's management level."""
    nb = b.cars.size
    unit_of_b = np.repeat(np.arange(nb), rng.integers(1, 5, nb))[:nb]
    _, unit_of_b = np.unique(unit_of_b, return_inverse=True)
    n_units = int(unit_of_b.max()) + 1
    first_b = np.unique(unit_of_b, return_index=True)[1]
    level_base = rng.choice(np.arange(1, 6), size=n_units, p=[0.08, 0.2, 0.37, 0.25, 0.10])
    well_run = np.isin(b.btype[first_b], [1, 3, 4])  # office, hospital, metro
    neglected = (b.age_y[first_b] > 20) & (rng.random(n_units) < 0.5)
    mgmt_unit = np.clip(level_base + well_run - neglected, 1, 5)
    return unit_of_b, mgmt_unit


BLOCK_SPACING_M = 40.0  # between neighbouring buildings of one user unit


def _gather_units(b: Buildings, unit_of_b: I64) -> None:
    """Place the buildings of one user unit next to its first one (an estate's blocks,
    40 m apart), when that spot lies in their district. In place; draws nothing."""
    first = np.unique(unit_of_b, return_index=True)[1][unit_of_b]
    block = np.arange(unit_of_b.size) - first
    same = (block > 0) & (b.district == b.district[first])
    dlat = np.where(block % 2 == 1, 1.0, -1.0) * block * BLOCK_SPACING_M / 111_320.0
    dlon = block * BLOCK_SPACING_M / (111_320.0 * np.cos(np.radians(b.lat[first])))
    for i in np.flatnonzero(same).tolist():
        lon, lat = b.lon[first[i]] + dlon[i], b.lat[first[i]] + dlat[i]
        if DISTRICTS[int(b.district[i])].contains(float(lon), float(lat)):
            b.lon[i], b.lat[i] = lon, lat


def _user_units(names: list[str], mgmt_unit: I64, rng: np.random.Generator) -> list[UserUnit]:
    return [
        UserUnit(
            id=u + 1,
            name=names[u],
            management_level=int(lv),
            safety_manager=bool(lv >= 2),
            complaints=int(c),
        )
        for u, (lv, c) in enumerate(
            zip(mgmt_unit, rng.poisson(np.maximum(0.2, 3.0 - mgmt_unit * 0.5)), strict=True)
        )
    ]


@dataclass(frozen=True)
class _ElevatorColumns:
    """Per-elevator draws: installation, user unit, insurance, inspection, condition."""

    install_days: I64
    no_unit: npt.NDArray[np.bool_]
    insurance_none: npt.NDArray[np.bool_]
    insurance_days: I64
    inspection_ago: I64
    condition: F64


def _elevator_columns(
    b: Buildings,
    bidx: I64,
    companies: list[MaintenanceCompany],
    company: I64,
    mgmt: I64,
    rng: np.random.Generator,
) -> _ElevatorColumns:
    n = bidx.size
    # A few elevators are replaced/modernised later than their building.
    age_y = b.age_y[bidx] * np.where(rng.random(n) < 0.08, rng.random(n), 1.0)
    install_days = (age_y * 365.25).astype(np.int64)
    no_unit = rng.random(n) < 0.015
    # Insurance: ~90 % in force; lapses are likelier with weak management.
    lapse_p = np.clip(0.065 + 0.035 * (3 - mgmt), 0.01, 0.25)
    u = rng.random(n)
    ins_none = u < 0.02
    ins_lapsed = (~ins_none) & (u < 0.02 + lapse_p)
    ins_days = np.where(ins_lapsed, -rng.integers(1, 400, n), rng.integers(1, 366, n))
    # Periodic inspection (yearly); some overdue, again likelier with weak management.
    overdue = rng.random(n) < np.clip(0.025 + 0.02 * (3 - mgmt), 0.005, 0.12)
    insp_ago = np.where(overdue, rng.integers(366, 520, n), rng.integers(0, 366, n))
    insp_ago = np.minimum(insp_ago, install_days)
    tech = np.array([c.tech_level for c in companies])
    score = np.array([c.credit_score for c in companies])
    condition = hidden_condition(age_y, tech[company], score[company], mgmt, rng)
    return _ElevatorColumns(install_days, no_unit, ins_none, ins_days, insp_ago, condition)


def _elevators(
    b: Buildings,
    bidx: I64,
    company: I64,
    unit: I64,
    cols: _ElevatorColumns,
    addresses: list[str],
    as_of: date,
) -> list[Elevator]:
    adcodes = [d.adcode for d in DISTRICTS]
    names = [d.name for d in DISTRICTS]
    years = [(as_of - timedelta(days=int(d))).year for d in cols.install_days]
    return [
        Elevator(
            id=int(i),
            code=f"3110{adcodes[dj]}{yr:04d}{i:06d}",
            terminal_id=f"T{i:07d}",
            lon=round(float(lo), 6),
            lat=round(float(la), 6),
            district=names[dj],
            address=addresses[bj],
            building_type=TYPES[tj],
            install_date=as_of - timedelta(days=int(inst)),
            rated_speed=float(sp),
            floors=int(fl),
            lowest_floor=int(lw),
            company_id=int(cj) + 1,
            user_unit_id=None if nu else int(uj) + 1,
            insurance_expiry=None if inone else as_of + timedelta(days=int(ins)),
            last_inspection=as_of - timedelta(days=int(ia)),
            inspection_valid_until=as_of - timedelta(days=int(ia)) + timedelta(days=365),
            condition=round(float(cond), 4),
        )
        for i, dj, bj, tj, lo, la, yr, inst, sp, fl, lw, cj, uj, nu, inone, ins, ia, cond in zip(
            range(1, bidx.size + 1), b.district[bidx].tolist(), bidx.tolist(),
            b.btype[bidx].tolist(), b.lon[bidx].tolist(), b.lat[bidx].tolist(), years,
            cols.install_days.tolist(), b.speed[bidx].tolist(), b.floors[bidx].tolist(),
            b.lowest[bidx].tolist(), company.tolist(), unit.tolist(), cols.no_unit.tolist(),
            cols.insurance_none.tolist(), cols.insurance_days.tolist(),
            cols.inspection_ago.tolist(), cols.condition.tolist(),
            strict=True,
        )
    ]  # fmt: skip


def hidden_condition(
    age_y: F64, tech: I64, credit: F64, mgmt: I64, rng: np.random.Generator
) -> F64:
    """Degradation 0 (healthy) .. 1 (bad): partly explained by the 3+2 base factors.

    A logistic function of age, the company's technical level and credit score and the
    user unit's management level, plus a large hidden per-elevator term: the factors
    predict condition on average, telemetry (analog drift) reveals the rest.
    """
    z = (
        -1.6
        + 0.09 * (age_y - 10.0)
        + 0.35 * (3.0 - tech)
        + 0.02 * (75.0 - credit)
        + 0.30 * (3.0 - mgmt)
        + rng.normal(0.0, 0.9, age_y.size)
    )
    out: F64 = 1.0 / (1.0 + np.exp(-z))
    return out
