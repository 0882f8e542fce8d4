"""The elevator facts ingest and its detect stage read (terminal ids, floor ranges,
report intervals, specifications, last known presence), and fast synthetic registration
(binary COPY) for benchmarks and tests that must not depend on the fleet simulator."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import psycopg
from psycopg.rows import args_row, class_row


@dataclass(frozen=True, slots=True)
class TerminalRow:
    """What the registry needs to resolve a terminal's messages."""

    id: int
    terminal_id: str
    lowest_floor: int
    floors: int
    report_interval_s: float


@dataclass(frozen=True, slots=True)
class PresenceRow:
    elevator_id: int
    online: bool
    received_at: datetime


@dataclass(frozen=True, slots=True)
class DetectedElevatorRow:
    """What the detectors need to know of an elevator (its specification, its company)."""

    id: int
    code: str
    company_id: int
    rated_speed: float
    floors: int
    lowest_floor: int
    report_interval_s: float


# The whole fleet (~250,000 rows for a city) is read with ``args_row`` (the columns in
# the order of the fields): three times faster than ``class_row``'s keyword arguments.


def fetch_terminals(conn: psycopg.Connection[Any]) -> list[TerminalRow]:
    with conn.cursor(row_factory=args_row(TerminalRow)) as cursor:
        return cursor.execute(
            "SELECT id, terminal_id, lowest_floor, floors, report_interval_s FROM elevators"
        ).fetchall()


def fetch_presence(conn: psycopg.Connection[Any]) -> list[PresenceRow]:
    """Each elevator's last known presence (``elevator_status``)."""
    with conn.cursor(row_factory=class_row(PresenceRow)) as cursor:
        return cursor.execute(
            "SELECT elevator_id, online, received_at FROM elevator_status"
        ).fetchall()


def fetch_detected_elevators(conn: psycopg.Connection[Any]) -> list[DetectedElevatorRow]:
    with conn.cursor(row_factory=args_row(DetectedElevatorRow)) as cursor:
        return cursor.execute(
            """SELECT id, code, company_id, rated_speed, floors, lowest_floor,
                      report_interval_s FROM elevators"""
        ).fetchall()


_SEED_TYPES = [
    "int4", "text", "text", "float8", "float8", "text", "text", "date", "float4", "int2",
    "int2", "int4", "float4",
]  # fmt: skip


def seed_elevators(
    conn: psycopg.Connection[Any],
    count: int,
    prefix: str = "T",
    first_id: int = 1,
    company_id: int = 1,
    floors: int = 30,
    lowest_floor: int = -2,
    report_interval_s: float = 5.0,
) -> list[str]:
    """Insert ``count`` elevators (and their company if missing); returns terminal ids.
    Terminal ids are ``<prefix><n>``."""
    conn.execute(
        "INSERT INTO maintenance_companies (id, name, tech_level, credit_grade, credit_score)"
        " VALUES (%s, %s, 3, 'A', 90) ON CONFLICT (id) DO NOTHING",
        (company_id, f"company {company_id}"),
    )
    terminals = [f"{prefix}{first_id + i}" for i in range(count)]
    installed = date(2015, 1, 1)
    with conn.cursor().copy(
        "COPY elevators (id, code, terminal_id, lon, lat, district, building_type,"
        " install_date, rated_speed, floors, lowest_floor, company_id, report_interval_s)"
        " FROM STDIN (FORMAT BINARY)"
    ) as copy:
        copy.set_types(_SEED_TYPES)
        for i, terminal in enumerate(terminals):
            elevator_id = first_id + i
            copy.write_row(
                (
                    elevator_id, f"E{prefix}{elevator_id}", terminal,
                    113.2 + (i % 1000) * 1e-4, 23.1 + (i // 1000 % 1000) * 1e-4, "Tianhe",
                    "residential", installed, 2.5, floors, lowest_floor, company_id,
                    report_interval_s,
                )
            )  # fmt: skip
    conn.commit()
    return terminals
