"""End to end on real PostgreSQL: an entrapment alarm becomes a case, the dispatch
service offers it, the simulated rescuers accept, drive, arrive and free the passengers."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

import psycopg
import pytest

from alarms.repository import raise_alarm
from domain.alarms import AlarmType
from evaluation.rescuers import LiveRescuers
from fleet.repository import save_fleet
from rescue.config import DispatchSettings
from rescue.service import DispatchService
from simulators.fleet import generate_fleet

pytestmark = pytest.mark.integration


def test_entrapment_is_rescued_end_to_end(make_database: Callable[[], str]) -> None:
    url = make_database()
    fleet = generate_fleet(400, 5)
    with psycopg.connect(url) as conn:
        save_fleet(conn, fleet)
        conn.commit()
    settings = DispatchSettings()
    dispatch = DispatchService(url, settings)
    # Durations compressed 500x: a 20-minute rescue takes a few seconds.
    rescuers = LiveRescuers(url, settings, seed=3, time_scale=0.002)
    dispatch.start()
    rescuers.start()
    try:
        assert dispatch.ready.wait(60)
        elevator = fleet.elevators[17]
        with psycopg.connect(url, autocommit=True) as conn:
            with conn.transaction():
                alarm = raise_alarm(
                    conn,
                    elevator.id,
                    AlarmType.ENTRAPMENT,
                    datetime.now(UTC),
                    "detector",
                    {"where": "at_landing"},
                )
            deadline = time.monotonic() + 60
            state = None
            while time.monotonic() < deadline:
                row = conn.execute(
                    "SELECT id, state, rescuer_id, arrived_at IS NOT NULL FROM rescue_cases"
                    " WHERE alarm_id = %s",
                    (alarm.id,),
                ).fetchone()
                state = row[1] if row else None
                if state in ("released", "closed"):
                    break
                time.sleep(0.2)
            assert row is not None
            assert state in ("released", "closed"), row
            case_id = int(row[0])
            steps = [
                r[0]
                for r in conn.execute(
                    "SELECT step FROM case_events WHERE case_id = %s ORDER BY id", (case_id,)
                ).fetchall()
            ]
            for step in ("offered", "accepted", "on_site", "released"):
                assert any(s.startswith(step) for s in steps), steps
            left = conn.execute(
                "SELECT count(*) FROM alarms WHERE id = %s AND state = 'open'", (alarm.id,)
            ).fetchone()
            assert left == (0,)  # the entrapment alarm is resolved once passengers are out
    finally:
        rescuers.stop()
        dispatch.stop()
