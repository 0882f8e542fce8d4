"""Shared helpers of the dispatch integration tests: a tiny hand-placed fleet, a clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg

from maintenance.config import DispatchSettings
from maintenance.notifications import Notifier
from maintenance.rescue.engine import DispatchEngine

# 12:00 local (Beijing) on a weekday: day speed, day shifts.
NOON = datetime(2026, 3, 4, 4, 0, tzinfo=UTC)
LON, LAT = 113.33, 23.13  # Tianhe


@dataclass
class FakeClock:
    now: datetime = NOON

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


@dataclass
class Recorder:
    messages: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def __call__(self, topic: str, payload: dict[str, Any]) -> None:
        self.messages.append((topic, payload))


def seed(conn: psycopg.Connection[Any], *, station_rescuers: int = 1) -> None:
    """Two companies, two elevators of company 1, rescuers at known distances.

    Company 1 rescuers: 11 (~1 km), 12 (~2 km), 13 (~3 km), 14 (~30 km, beyond tier 1).
    Company 2 rescuer 21 (~0.5 km); station rescuer 31 (~0.8 km).
    """
    conn.execute(
        """INSERT INTO maintenance_companies (id, name, tech_level, credit_grade, credit_score)
           VALUES (1, 'Own Co', 3, 'A', 90), (2, 'Other Co', 3, 'B', 80)"""
    )
    conn.execute(
        """INSERT INTO elevators (id, code, terminal_id, lon, lat, district, address,
                                  building_type, install_date, rated_speed, floors, company_id)
           VALUES (1, '44010100001', 't1', %s, %s, 'Tianhe', '1 Tianhe Road',
                   'residential', '2015-01-01', 1.75, 20, 1),
                  (2, '44010100002', 't2', %s, %s, 'Conghua', '9 Hill Road',
                   'residential', '2015-01-01', 1.0, 8, 1)""",
        (LON, LAT, LON + 0.01, LAT),
    )
    conn.execute(
        "INSERT INTO rescue_stations (id, name, district, lon, lat)"
        " VALUES (1, 'Tianhe station', 'Tianhe', %s, %s)",
        (LON, LAT + 0.007),
    )
    dlat_km = 1 / 111.32
    rescuers: list[tuple[int, int | None, int | None, float]] = [
        (11, 1, None, LAT + 1 * dlat_km),
        (12, 1, None, LAT + 2 * dlat_km),
        (13, 1, None, LAT + 3 * dlat_km),
        (14, 1, None, LAT + 30 * dlat_km),
        (21, 2, None, LAT - 0.5 * dlat_km),
    ]
    rescuers += [(31 + i, None, 1, LAT + 0.8 * dlat_km) for i in range(station_rescuers)]
    for rid, company, station, lat in rescuers:
        conn.execute(
            """INSERT INTO rescuers (id, name, company_id, station_id, home_lon, home_lat,
                                     lon, lat, shift_start, shift_end)
               VALUES (%s, %s, %s, %s, %s, %s, %s, %s, '00:00', '00:00')""",
            (rid, f"R{rid}", company, station, LON, lat, LON, lat),
        )


def engine(
    url: str,
    clock: FakeClock,
    settings: DispatchSettings | None = None,
    sink: Recorder | None = None,
) -> DispatchEngine:
    conn = psycopg.connect(url, autocommit=True)
    s = settings or DispatchSettings(offer_size=2)
    return DispatchEngine(
        conn, s, clock=clock, notifier=Notifier(topic_root=s.notify_topic_root, sink=sink)
    )


def offers(conn: psycopg.Connection[Any], case_id: int) -> dict[int, str]:
    rows = conn.execute(
        "SELECT rescuer_id, state FROM dispatch_offers WHERE case_id = %s", (case_id,)
    ).fetchall()
    return {int(r[0]): str(r[1]) for r in rows}


def case_state(conn: psycopg.Connection[Any], case_id: int) -> tuple[str, int, bool]:
    row = conn.execute(
        "SELECT state, tier, fire_service FROM rescue_cases WHERE id = %s", (case_id,)
    ).fetchone()
    assert row is not None
    return str(row[0]), int(row[1]), bool(row[2])


def steps(conn: psycopg.Connection[Any], case_id: int) -> list[str]:
    rows = conn.execute(
        "SELECT step FROM case_events WHERE case_id = %s ORDER BY id", (case_id,)
    ).fetchall()
    return [str(r[0]) for r in rows]


RESCUE_TABLES = (
    "webhook_deliveries, webhook_subscriptions, rescue_escalations, dispatch_offers,"
    " rescue_case_alarms, case_events, rescue_cases, alarms"
)


def reset(url: str) -> None:
    """Forget every case, offer and alarm; rescuers back home and available."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("TRUNCATE " + RESCUE_TABLES + " RESTART IDENTITY CASCADE")
        conn.execute("UPDATE rescuers SET lon = home_lon, lat = home_lat, available = true")
