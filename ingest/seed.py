"""Register synthetic elevators fast (binary COPY), for benchmarks and tests that must
not depend on the fleet simulator. Terminal ids are ``<prefix><n>``."""

from __future__ import annotations

from datetime import date
from typing import Any

import psycopg

_TYPES = [
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
    """Insert ``count`` elevators (and their company if missing); returns terminal ids."""
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
        copy.set_types(_TYPES)
        for i, terminal in enumerate(terminals):
            eid = first_id + i
            copy.write_row(
                (
                    eid, f"E{prefix}{eid}", terminal, 113.2 + (i % 1000) * 1e-4,
                    23.1 + (i // 1000 % 1000) * 1e-4, "Tianhe", "residential", installed, 2.5,
                    floors, lowest_floor, company_id, report_interval_s,
                )
            )  # fmt: skip
    conn.commit()
    return terminals
