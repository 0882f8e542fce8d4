"""The map keeper: full load, status-only reload when the registry is unchanged, full
reload when it changed, incremental refresh."""

from __future__ import annotations

import psycopg
import pytest
from psycopg_pool import AsyncConnectionPool

from api.config import ApiSettings
from api.live import MapKeeper
from tests.browser.seed import seed_fleet

pytestmark = pytest.mark.integration


async def test_reload_picks_up_changes_without_events(fresh_database_url: str) -> None:
    fleet = seed_fleet(fresh_database_url, per_district=2)
    async with AsyncConnectionPool(
        fresh_database_url, min_size=1, max_size=2, open=False, kwargs={"autocommit": True}
    ) as pool:
        keeper = MapKeeper(pool, ApiSettings(high_risk_grades="C,D"))
        await keeper.reload()
        index = keeper.index
        assert index is not None
        assert len(index) == len(fleet.elevators)
        with psycopg.connect(fresh_database_url, autocommit=True) as conn:
            conn.execute(
                "INSERT INTO maintenance_plans (elevator_id, level, interval_days, next_due)"
                " VALUES (1, 'half_monthly', 15, current_date - 1),"
                " (2, 'half_monthly', 15, current_date + 5)"
            )
            conn.execute(
                "INSERT INTO elevator_status (elevator_id, ts, seq, car, dir, floor,"
                " door_zone, door, passenger, mode, power, online)"
                " VALUES (3, now(), 1, 0, 0, 1, true, 0, false, 1, 0, false)"
            )
            for eid, grade in ((4, "C"), (5, "B")):
                conn.execute(
                    "INSERT INTO elevator_scores (elevator_id, computed_at, total, grade,"
                    " baseline, factors, contributions, eligible, interval_days)"
                    " VALUES (%s, now(), 50, %s, 60, '{}', '{}', false, 15)",
                    (eid, grade),
                )
        await keeper.reload()
        assert keeper.index is index  # same registry: positions kept, statuses swapped
        assert [index.status_of(i) for i in (1, 2, 3, 4, 5)] == [
            "maintenance_due",
            "normal",
            "offline",
            "high_risk",  # grade C is high risk with these settings
            "normal",
        ]
        with psycopg.connect(fresh_database_url, autocommit=True) as conn:
            conn.execute(
                "INSERT INTO elevators (id, code, terminal_id, lon, lat, district,"
                " building_type, install_date, rated_speed, floors, company_id)"
                " VALUES (9999, 'NEW', 'TNEW', 113.3, 23.1, 'Tianhe', 'office',"
                " '2020-01-01', 2, 30, 1)"
            )
            conn.execute(
                "INSERT INTO alarms (elevator_id, type, severity, source, opened_at,"
                " last_seen_at) VALUES (9999, 'overspeed', 4, 't', now(), now())"
            )
        await keeper.reload()
        assert keeper.index is not index  # the registry changed: a new index
        assert keeper.index.status_of(9999) == "fault"
        assert keeper.index.status_of(1) == "maintenance_due"
        with psycopg.connect(fresh_database_url, autocommit=True) as conn:
            conn.execute("UPDATE alarms SET state = 'resolved' WHERE elevator_id = 9999")
        assert await keeper.refresh([9999, 123456]) == {9999: "normal"}
