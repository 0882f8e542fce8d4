"""The "one database" records of the fleet: elevators, companies, user units, rescuers.

Positions are WGS-84 (longitude, latitude in degrees); conversion to GCJ-02 for Chinese
basemaps happens only for display (see :mod:`domain.geo`).
"""

from __future__ import annotations

from datetime import date, time
from enum import StrEnum

import msgspec


class BuildingType(StrEnum):
    RESIDENTIAL = "residential"
    OFFICE = "office"
    MALL = "mall"
    HOSPITAL = "hospital"
    METRO = "metro"


class CreditGrade(StrEnum):
    A = "A"
    B = "B"
    C = "C"


class MaintenanceCompany(msgspec.Struct, frozen=True):
    id: int
    name: str
    tech_level: int  # 1 (weak) .. 5 (excellent)
    credit_grade: CreditGrade
    credit_score: float  # 0..100, the A-grade credit score records
    certified_staff: int
    licensed: bool = True
    paperless: bool = True
    duty_phone: str = ""


class UserUnit(msgspec.Struct, frozen=True):
    id: int
    name: str
    management_level: int  # 1 (poor) .. 5 (excellent)
    safety_manager: bool = True
    complaints: int = 0


class Elevator(msgspec.Struct, frozen=True):
    id: int
    code: str  # registration code (设备代码)
    terminal_id: str  # monitoring terminal id; the MQTT user and topic segment
    lon: float
    lat: float
    district: str
    address: str
    building_type: BuildingType
    install_date: date
    rated_speed: float  # m/s
    floors: int
    lowest_floor: int
    company_id: int
    user_unit_id: int | None
    insurance_expiry: date | None
    last_inspection: date | None
    inspection_valid_until: date | None
    report_interval_s: float = 5.0
    # Simulator-only hidden degradation (0 healthy .. 1 bad) that drives simulated faults and
    # analog drift; never known for a real elevator (0.0) and never read by the score.
    condition: float = 0.0


class RescueStation(msgspec.Struct, frozen=True):
    id: int
    name: str
    district: str
    lon: float
    lat: float


class Rescuer(msgspec.Struct, frozen=True):
    id: int
    name: str
    company_id: int | None
    station_id: int | None
    home_lon: float
    home_lat: float
    shift_start: time
    shift_end: time
    phone: str = ""


class Fleet(msgspec.Struct, frozen=True):
    companies: list[MaintenanceCompany]
    user_units: list[UserUnit]
    elevators: list[Elevator]
    stations: list[RescueStation]
    rescuers: list[Rescuer]
