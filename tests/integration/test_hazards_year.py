"""A simulated year of hazards through the product's rules and indicator SQL."""

from __future__ import annotations

import pytest

from evaluation.hazards_year import lines, run_year
from hazards.config import HazardSettings

pytestmark = pytest.mark.integration


def test_a_simulated_year_gives_the_indicators(pg_server_url: str) -> None:
    result = run_year(pg_server_url, 400, 3, HazardSettings())
    by = {g.grade: g for g in result.indicators.by_grade}
    assert set(by) == {"general", "serious"}
    assert sum(g.reported for g in by.values()) == result.hazards
    serious, general = by["serious"], by["general"]
    assert serious.remediation_rate is not None
    assert 0.5 < serious.remediation_rate <= 1.0
    assert serious.median_days is not None
    assert general.median_days is not None
    assert serious.median_days < general.median_days  # shorter deadline, faster fix
    assert result.indicators.overdue_now <= result.indicators.open_total
    assert any("target 100 %" in line for line in lines(result))
