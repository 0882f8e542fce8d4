"""Fleet repository: write a whole fleet with binary COPY, read it back.

``save_fleet`` is idempotent: into empty fleet tables it COPYs straight into them (the
fast path, ~250,000 elevators in a few seconds); when rows exist it COPYs into
temporary staging tables and upserts by id (``ON CONFLICT (id) DO UPDATE``), so seeding
the same fleet twice leaves the database unchanged and a re-seed updates the records in
place. Rows absent from the new fleet are never deleted (alarms, cases and telemetry
reference them). A rescuer's live position (``lon``, ``lat``, ``position_at``,
``available``) is only set on insert, never overwritten by a re-seed.

The simulator's hidden ``condition`` goes to ``sim_elevator_condition`` (migration
0600), which real deployments leave empty.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

from domain.fleet import (
    BuildingType,
    CreditGrade,
    Elevator,
    Fleet,
    MaintenanceCompany,
    Rescuer,
    RescueStation,
    UserUnit,
)

Row = Sequence[Any]


@dataclass(frozen=True)
class _Table:
    name: str
    columns: tuple[str, ...]
    types: tuple[str, ...]
    insert_only: frozenset[str] = frozenset()


COMPANIES = _Table(
    "maintenance_companies",
    ("id", "name", "tech_level", "credit_grade", "credit_score", "certified_staff",
     "licensed", "paperless", "duty_phone"),
    ("int4", "text", "int2", "text", "float4", "int4", "bool", "bool", "text"),
)  # fmt: skip
UNITS = _Table(
    "user_units",
    ("id", "name", "management_level", "safety_manager", "complaints"),
    ("int4", "text", "int2", "bool", "int4"),
)
ELEVATORS = _Table(
    "elevators",
    ("id", "code", "terminal_id", "lon", "lat", "district", "address", "building_type",
     "install_date", "rated_speed", "floors", "lowest_floor", "company_id", "user_unit_id",
     "insurance_expiry", "last_inspection", "inspection_valid_until", "report_interval_s"),
    ("int4", "text", "text", "float8", "float8", "text", "text", "text", "date", "float4",
     "int2", "int2", "int4", "int4", "date", "date", "date", "float4"),
)  # fmt: skip
CONDITIONS = _Table("sim_elevator_condition", ("elevator_id", "condition"), ("int4", "float4"))
STATIONS = _Table(
    "rescue_stations",
    ("id", "name", "district", "lon", "lat"),
    ("int4", "text", "text", "float8", "float8"),
)
RESCUERS = _Table(
    "rescuers",
    ("id", "name", "company_id", "station_id", "home_lon", "home_lat", "lon", "lat",
     "shift_start", "shift_end", "phone"),
    ("int4", "text", "int4", "int4", "float8", "float8", "float8", "float8", "time", "time",
     "text"),
    insert_only=frozenset({"lon", "lat"}),
)  # fmt: skip


def _company_row(c: MaintenanceCompany) -> Row:
    return (c.id, c.name, c.tech_level, c.credit_grade.value, c.credit_score,
            c.certified_staff, c.licensed, c.paperless, c.duty_phone)  # fmt: skip


def _unit_row(u: UserUnit) -> Row:
    return (u.id, u.name, u.management_level, u.safety_manager, u.complaints)


def _elevator_row(e: Elevator) -> Row:
    return (e.id, e.code, e.terminal_id, e.lon, e.lat, e.district, e.address,
            e.building_type.value, e.install_date, e.rated_speed, e.floors, e.lowest_floor,
            e.company_id, e.user_unit_id, e.insurance_expiry, e.last_inspection,
            e.inspection_valid_until, e.report_interval_s)  # fmt: skip


def _station_row(s: RescueStation) -> Row:
    return (s.id, s.name, s.district, s.lon, s.lat)


def _rescuer_row(r: Rescuer) -> Row:
    return (r.id, r.name, r.company_id, r.station_id, r.home_lon, r.home_lat, r.home_lon,
            r.home_lat, r.shift_start, r.shift_end, r.phone)  # fmt: skip


def fleet_size(conn: psycopg.Connection[Any]) -> int:
    """Number of elevators registered."""
    row = conn.execute("SELECT count(*) FROM elevators").fetchone()
    return int(row[0]) if row else 0


def save_fleet(conn: psycopg.Connection[Any], fleet: Fleet) -> None:
    """Write every fleet table in one transaction (COPY; upsert when rows exist)."""
    plan: list[tuple[_Table, Iterable[Row]]] = [
        (COMPANIES, map(_company_row, fleet.companies)),
        (UNITS, map(_unit_row, fleet.user_units)),
        (ELEVATORS, map(_elevator_row, fleet.elevators)),
        (CONDITIONS, ((e.id, e.condition) for e in fleet.elevators)),
        (STATIONS, map(_station_row, fleet.stations)),
        (RESCUERS, map(_rescuer_row, fleet.rescuers)),
    ]
    with conn.transaction():
        # One writer at a time: two concurrent seeders would otherwise both take the
        # fast path and collide on primary keys.
        conn.execute("SELECT pg_advisory_xact_lock(hashtext('liftwatch.save_fleet'))")
        for table, rows in plan:
            existing = conn.execute(
                sql.SQL("SELECT EXISTS (SELECT 1 FROM {})").format(sql.Identifier(table.name))
            ).fetchone()
            if existing and existing[0]:
                _upsert(conn, table, rows)
            else:
                _copy(conn, table, table.name, rows)


def _copy(conn: psycopg.Connection[Any], table: _Table, target: str, rows: Iterable[Row]) -> None:
    stmt = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(
        sql.Identifier(target), sql.SQL(", ").join(map(sql.Identifier, table.columns))
    )
    with conn.cursor() as cur, cur.copy(stmt) as copy:
        copy.set_types(list(table.types))
        for row in rows:
            copy.write_row(row)


def _upsert(conn: psycopg.Connection[Any], table: _Table, rows: Iterable[Row]) -> None:
    stage = f"stage_{table.name}"
    # Inside a caller's transaction the previous call's staging table may still exist.
    conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(stage)))
    conn.execute(
        sql.SQL("CREATE TEMP TABLE {} (LIKE {} INCLUDING DEFAULTS) ON COMMIT DROP").format(
            sql.Identifier(stage), sql.Identifier(table.name)
        )
    )
    _copy(conn, table, stage, rows)
    key = table.columns[0]
    cols = sql.SQL(", ").join(map(sql.Identifier, table.columns))
    updates = sql.SQL(", ").join(
        sql.SQL("{} = EXCLUDED.{}").format(sql.Identifier(c), sql.Identifier(c))
        for c in table.columns[1:]
        if c not in table.insert_only
    )
    changed = sql.SQL(" OR ").join(
        sql.SQL("{}.{} IS DISTINCT FROM EXCLUDED.{}").format(
            sql.Identifier(table.name), sql.Identifier(c), sql.Identifier(c)
        )
        for c in table.columns[1:]
        if c not in table.insert_only
    )
    conn.execute(
        sql.SQL(
            "INSERT INTO {t} ({cols}) SELECT {cols} FROM {s} "
            "ON CONFLICT ({k}) DO UPDATE SET {u} WHERE {w}"
        ).format(
            t=sql.Identifier(table.name),
            cols=cols,
            s=sql.Identifier(stage),
            k=sql.Identifier(key),
            u=updates,
            w=changed,
        )
    )


def _select(conn: psycopg.Connection[Any], table: _Table) -> list[tuple[Any, ...]]:
    stmt = sql.SQL("SELECT {} FROM {} ORDER BY {}").format(
        sql.SQL(", ").join(map(sql.Identifier, table.columns)),
        sql.Identifier(table.name),
        sql.Identifier(table.columns[0]),
    )
    with conn.cursor() as cur:
        cur.execute(stmt)
        return cur.fetchall()


def _build(rows: list[tuple[Any, ...]], make: Callable[..., Any]) -> list[Any]:
    return [make(*r) for r in rows]


def load_fleet(conn: psycopg.Connection[Any]) -> Fleet:
    """The registered fleet (ordered by id); ``condition`` is 0 where none is stored."""
    conditions = dict(_select(conn, CONDITIONS))
    companies = [
        MaintenanceCompany(
            id=r[0], name=r[1], tech_level=r[2], credit_grade=CreditGrade(r[3]),
            credit_score=round(float(r[4]), 2), certified_staff=r[5], licensed=r[6],
            paperless=r[7], duty_phone=r[8],
        )
        for r in _select(conn, COMPANIES)
    ]  # fmt: skip
    units = _build(_select(conn, UNITS), UserUnit)
    elevators = [
        Elevator(
            id=r[0], code=r[1], terminal_id=r[2], lon=r[3], lat=r[4], district=r[5],
            address=r[6], building_type=BuildingType(r[7]), install_date=r[8],
            rated_speed=round(float(r[9]), 3), floors=r[10], lowest_floor=r[11],
            company_id=r[12], user_unit_id=r[13], insurance_expiry=r[14],
            last_inspection=r[15], inspection_valid_until=r[16],
            report_interval_s=round(float(r[17]), 3),
            condition=round(float(conditions.get(r[0], 0.0)), 4),
        )
        for r in _select(conn, ELEVATORS)
    ]  # fmt: skip
    stations = _build(_select(conn, STATIONS), RescueStation)
    rescuers = [
        Rescuer(
            id=r[0], name=r[1], company_id=r[2], station_id=r[3], home_lon=r[4],
            home_lat=r[5], shift_start=r[8], shift_end=r[9], phone=r[10],
        )
        for r in _select(conn, RESCUERS)
    ]  # fmt: skip
    return Fleet(
        companies=companies,
        user_units=units,
        elevators=elevators,
        stations=stations,
        rescuers=rescuers,
    )
