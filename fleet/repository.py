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

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import namedtuple_row, scalar_row

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
    with conn.cursor(row_factory=scalar_row) as cur:
        count = cur.execute("SELECT count(*) FROM elevators").fetchone()
    return int(count) if count is not None else 0


def registered_company_ids(conn: psycopg.Connection[Any], company_ids: list[int]) -> set[int]:
    """Those of ``company_ids`` that are registered maintenance companies."""
    with conn.cursor(row_factory=scalar_row) as cur:
        cur.execute("SELECT id FROM maintenance_companies WHERE id = ANY(%s)", (company_ids,))
        return {int(company_id) for company_id in cur.fetchall()}


def lowest_rescuer_id(conn: psycopg.Connection[Any]) -> int | None:
    with conn.cursor(row_factory=scalar_row) as cur:
        lowest = cur.execute("SELECT min(id) FROM rescuers").fetchone()
    return int(lowest) if lowest is not None else None


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
            if _has_rows(conn, table):
                _upsert(conn, table, rows)
            else:
                _copy(conn, table, table.name, rows)


def _has_rows(conn: psycopg.Connection[Any], table: _Table) -> bool:
    with conn.cursor(row_factory=scalar_row) as cur:
        stmt = sql.SQL("SELECT EXISTS (SELECT 1 FROM {})").format(sql.Identifier(table.name))
        return bool(cur.execute(stmt).fetchone())


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


def _select(conn: psycopg.Connection[Any], table: _Table) -> list[Any]:
    """Every row of ``table`` by its key, as named tuples (fields: the table's columns)."""
    stmt = sql.SQL("SELECT {} FROM {} ORDER BY {}").format(
        sql.SQL(", ").join(map(sql.Identifier, table.columns)),
        sql.Identifier(table.name),
        sql.Identifier(table.columns[0]),
    )
    with conn.cursor(row_factory=namedtuple_row) as cur:
        cur.execute(stmt)
        return cur.fetchall()


def _company(r: Any) -> MaintenanceCompany:
    return MaintenanceCompany(
        id=r.id, name=r.name, tech_level=r.tech_level, credit_grade=CreditGrade(r.credit_grade),
        credit_score=round(float(r.credit_score), 2), certified_staff=r.certified_staff,
        licensed=r.licensed, paperless=r.paperless, duty_phone=r.duty_phone,
    )  # fmt: skip


def _elevator(r: Any, condition: float) -> Elevator:
    return Elevator(
        id=r.id, code=r.code, terminal_id=r.terminal_id, lon=r.lon, lat=r.lat,
        district=r.district, address=r.address, building_type=BuildingType(r.building_type),
        install_date=r.install_date, rated_speed=round(float(r.rated_speed), 3),
        floors=r.floors, lowest_floor=r.lowest_floor, company_id=r.company_id,
        user_unit_id=r.user_unit_id, insurance_expiry=r.insurance_expiry,
        last_inspection=r.last_inspection, inspection_valid_until=r.inspection_valid_until,
        report_interval_s=round(float(r.report_interval_s), 3),
        condition=round(float(condition), 4),
    )  # fmt: skip


def _rescuer(r: Any) -> Rescuer:
    return Rescuer(
        id=r.id, name=r.name, company_id=r.company_id, station_id=r.station_id,
        home_lon=r.home_lon, home_lat=r.home_lat, shift_start=r.shift_start,
        shift_end=r.shift_end, phone=r.phone,
    )  # fmt: skip


def load_fleet(conn: psycopg.Connection[Any]) -> Fleet:
    """The registered fleet (ordered by id); ``condition`` is 0 where none is stored."""
    conditions = {r.elevator_id: r.condition for r in _select(conn, CONDITIONS)}
    return Fleet(
        companies=[_company(r) for r in _select(conn, COMPANIES)],
        user_units=[UserUnit(**r._asdict()) for r in _select(conn, UNITS)],
        elevators=[_elevator(r, conditions.get(r.id, 0.0)) for r in _select(conn, ELEVATORS)],
        stations=[RescueStation(**r._asdict()) for r in _select(conn, STATIONS)],
        rescuers=[_rescuer(r) for r in _select(conn, RESCUERS)],
    )
