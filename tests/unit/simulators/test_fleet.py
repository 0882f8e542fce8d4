from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from domain.districts import DISTRICTS, district_at, district_by_name
from domain.fleet import BuildingType
from simulators.fleet import company_count, generate_fleet
from simulators.fleetfile import FleetFileError, read_fleet, write_fleet

AS_OF = date(2026, 1, 1)


@pytest.fixture(scope="module")
def fleet():  # type: ignore[no-untyped-def]
    return generate_fleet(3000, 11, AS_OF)


def test_districts_are_consistent() -> None:
    assert len(DISTRICTS) == 11
    assert abs(sum(d.density for d in DISTRICTS) - 1.0) < 1e-9
    for d in DISTRICTS:
        assert d.contains(*d.centre), d.name
        assert district_at(*d.centre) is d
        assert 6 <= len(d.outline) <= 15
    assert district_by_name("tianhe").urban
    assert not district_by_name("Conghua").urban
    assert district_by_name("Nansha").sla_minutes == 60
    with pytest.raises(KeyError):
        district_by_name("Atlantis")


def test_same_seed_same_fleet_other_seed_other_fleet(fleet) -> None:  # type: ignore[no-untyped-def]
    assert generate_fleet(3000, 11, AS_OF) == fleet
    assert generate_fleet(3000, 12, AS_OF) != fleet


def test_elevators_lie_in_their_district_denser_in_the_core(fleet) -> None:  # type: ignore[no-untyped-def]
    for e in fleet.elevators:
        assert district_by_name(e.district).contains(e.lon, e.lat), e
    per = Counter(e.district for e in fleet.elevators)
    assert per["Tianhe"] > 3 * per["Conghua"]
    urban = sum(n for d, n in per.items() if district_by_name(d).urban)
    assert urban / len(fleet.elevators) > 0.75


def test_identifiers_unique_and_shaped(fleet) -> None:  # type: ignore[no-untyped-def]
    codes = [e.code for e in fleet.elevators]
    tids = [e.terminal_id for e in fleet.elevators]
    assert len(set(codes)) == len(codes) == 3000
    assert len(set(tids)) == len(tids)
    assert all(len(c) == 20 and c.isdigit() for c in codes)
    assert [e.id for e in fleet.elevators] == list(range(1, 3001))


def test_companies_units_and_responders(fleet) -> None:  # type: ignore[no-untyped-def]
    assert company_count(2000) == 50
    assert len(fleet.companies) == company_count(3000)
    grades = Counter(c.credit_grade for c in fleet.companies)
    assert set(grades) <= {"A", "B", "C"}
    assert len(grades) >= 2
    tech = np.array([c.tech_level for c in fleet.companies])
    score = np.array([c.credit_score for c in fleet.companies])
    assert np.corrcoef(tech, score)[0, 1] > 0.5
    company_ids = {c.id for c in fleet.companies}
    unit_ids = {u.id for u in fleet.user_units}
    for e in fleet.elevators:
        assert e.company_id in company_ids
        assert e.user_unit_id is None or e.user_unit_id in unit_ids
    stations = Counter(s.district for s in fleet.stations)
    assert all(stations[d.name] >= (3 if d.urban else 2) for d in DISTRICTS)
    assert any(r.company_id for r in fleet.rescuers)
    assert any(r.station_id for r in fleet.rescuers)


def test_dates_and_types_are_plausible(fleet) -> None:  # type: ignore[no-untyped-def]
    es = fleet.elevators
    insured = sum(1 for e in es if e.insurance_expiry and e.insurance_expiry >= AS_OF) / len(es)
    assert 0.85 <= insured <= 0.95
    overdue = sum(1 for e in es if e.inspection_valid_until and e.inspection_valid_until < AS_OF)
    assert 0.005 < overdue / len(es) < 0.12

    def mean_age(d: str) -> float:
        return float(np.mean([(AS_OF - e.install_date).days for e in es if e.district == d]))

    assert mean_age("Yuexiu") > mean_age("Nansha") + 365 * 3
    for e in es:
        if e.building_type == BuildingType.METRO:
            assert e.rated_speed <= 1.75
            assert e.lowest_floor < 0
            assert e.floors <= 3
        if e.floors >= 30:
            assert e.rated_speed >= 2.0
        assert e.install_date <= AS_OF
        assert 0.0 <= e.condition <= 1.0
    types = Counter(e.building_type for e in es)
    assert types[BuildingType.RESIDENTIAL] == max(types.values())


@pytest.mark.parametrize("name", ["fleet.json", "fleet.msgpack"])
def test_fleet_file_round_trip(tmp_path: Path, name: str) -> None:
    f = generate_fleet(200, 3, AS_OF)
    assert read_fleet(write_fleet(tmp_path / name, f)) == f


def test_fleet_file_rejects_garbage(tmp_path: Path) -> None:
    p = tmp_path / "bad.json"
    p.write_text('{"companies": 1}')
    with pytest.raises(FleetFileError):
        read_fleet(p)
