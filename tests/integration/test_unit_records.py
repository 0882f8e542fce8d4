"""The demo's simulated user-unit records, written through the units repository, feed the
score job's user-unit factor (recorded checks replace the registered level)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import numpy as np
import psycopg
import pytest

from domain.localtime import city_today
from evaluation.unit_records import seed_unit_records
from fleet.repository import load_fleet, save_fleet
from maintenance.config import ScoreSettings
from maintenance.facts import assemble_facts
from maintenance.jobs import read_facts, recompute
from simulators.fleet import generate_fleet

pytestmark = pytest.mark.integration


def test_recorded_checks_feed_the_user_unit_factor(make_database: Callable[[], str]) -> None:
    url = make_database()
    with psycopg.connect(url, autocommit=True) as conn:
        save_fleet(conn, generate_fleet(300, 4))
        fleet = load_fleet(conn)
        made = seed_unit_records(conn, fleet, 4, city_today())
        assert made > 0
        assert seed_unit_records(conn, fleet, 4, city_today()) == 0  # once only
        facts = read_facts(conn, datetime.now(UTC))
        completion = assemble_facts(facts).inputs.checks_completion
        assert completion is not None
        has_unit = facts.elevators["user_unit_id"] >= 0
        assert np.isfinite(completion[has_unit]).all()
        assert np.isnan(completion[~has_unit]).all()
        assert 0.05 < float(np.nanmean(completion)) < 0.95
        report = recompute(conn, ScoreSettings())
        assert report.elevators == len(fleet.elevators)
