"""Rescue stations and rescuers of a synthetic fleet.

Stations: a few per district (at least 3 in the urban core, 2 outside), more where
there are more elevators (one per ~250 elevators of the district, at most 60), placed
like the elevators (around the district centre, inside the outline). Each station has
3-5 rescuers. Each maintenance company has about one rescuer per 60 of its elevators
(at least 1), living within ~1.5 km of one of its elevators. Shifts: two thirds day
(08:00-20:00), one third night (20:00-08:00, ``shift_end < shift_start``).

Names (a station is named after its district and nearest road, 天河区96333电梯应急救援站
（体育西路）; rescuers get Chinese personal names and distinct mobile numbers) come from
the ``names`` generator, so they never shift the positions and shifts drawn from ``rng``.
"""

from __future__ import annotations

from datetime import time

import msgspec
import numpy as np
import numpy.typing as npt

from domain.districts import DISTRICTS
from domain.fleet import MaintenanceCompany, Rescuer, RescueStation
from simulators.naming import mobiles, nearest_roads, ordinal_zh, person_name, places
from simulators.places import jitter_m, sample_points

DAY = (time(8, 0), time(20, 0))
NIGHT = (time(20, 0), time(8, 0))


def make_responders(
    n: int,
    companies: list[MaintenanceCompany],
    district: npt.NDArray[np.int64],
    company: npt.NDArray[np.int64],
    lon: npt.NDArray[np.float64],
    lat: npt.NDArray[np.float64],
    rng: np.random.Generator,
    names: np.random.Generator | None = None,
) -> tuple[list[RescueStation], list[Rescuer]]:
    """Stations and rescuers for elevators with these district/company indexes, positions
    (``names``: the generator of names and phones; default one seeded from ``rng``)."""
    names = names if names is not None else np.random.default_rng(rng.integers(0, 2**63))
    stations: list[RescueStation] = []
    rescuers: list[Rescuer] = []
    counts = np.bincount(district, minlength=len(DISTRICTS))
    for i, d in enumerate(DISTRICTS):
        k = int(min(60, max(3 if d.urban else 2, round(counts[i] / 250))))
        slon, slat = sample_points(d, k, rng, 0.2 if d.urban else 0.15)
        roads = places()[d.name].roads
        near = nearest_roads(i, slon, slat, names)
        on_road: dict[int, int] = {}
        for j in range(k):
            road = int(near[j])
            on_road[road] = on_road.get(road, 0) + 1
            nth = "" if on_road[road] == 1 else ordinal_zh(on_road[road])
            stations.append(
                RescueStation(
                    id=len(stations) + 1,
                    name=f"{d.name_zh}96333电梯应急救援{roads[road].name}{nth}站",
                    district=d.name,
                    lon=round(float(slon[j]), 6),
                    lat=round(float(slat[j]), 6),
                )
            )
    # Station rescuers.
    per_station = rng.integers(3, 6, len(stations))
    st_idx = np.repeat(np.arange(len(stations)), per_station)
    st_lon = np.array([stations[s].lon for s in st_idx])
    st_lat = np.array([stations[s].lat for s in st_idx])
    st_lon, st_lat = jitter_m(st_lon, st_lat, 2500.0, rng)
    for s, lo, la in zip(st_idx.tolist(), st_lon.tolist(), st_lat.tolist(), strict=True):
        rescuers.append(_rescuer(len(rescuers) + 1, None, s + 1, lo, la, rng, names))
    # Company rescuers, living near their company's elevators.
    per_company = np.maximum(1, np.bincount(company, minlength=len(companies)) // 60)
    order = np.argsort(company, kind="stable")
    starts = np.searchsorted(company[order], np.arange(len(companies)))
    ends = np.searchsorted(company[order], np.arange(len(companies)), side="right")
    for c, k in enumerate(per_company.tolist()):
        if ends[c] > starts[c]:
            pick = order[rng.integers(starts[c], ends[c], k)]
            clon, clat = jitter_m(lon[pick], lat[pick], 1500.0, rng)
        else:  # a company without elevators: near a random elevator
            pick = rng.integers(0, n, k)
            clon, clat = jitter_m(lon[pick], lat[pick], 1500.0, rng)
        for lo, la in zip(clon.tolist(), clat.tolist(), strict=True):
            rescuers.append(_rescuer(len(rescuers) + 1, companies[c].id, None, lo, la, rng, names))
    phones = mobiles(len(rescuers), names)
    return stations, [
        msgspec.structs.replace(r, phone=p) for r, p in zip(rescuers, phones, strict=True)
    ]


def _rescuer(
    rid: int, company_id: int | None, station_id: int | None, lon: float, lat: float,
    rng: np.random.Generator, names: np.random.Generator,
) -> Rescuer:  # fmt: skip
    start, end = DAY if rng.random() < 2 / 3 else NIGHT
    return Rescuer(
        id=rid,
        name=person_name(names),
        company_id=company_id,
        station_id=station_id,
        home_lon=round(lon, 6),
        home_lat=round(lat, 6),
        shift_start=start,
        shift_end=end,
    )
