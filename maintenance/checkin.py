"""维保签到, pure: what proves a technician was at the elevator, the checklist a visit must
tick, and whether it was on time. No I/O here (the service loads and stores).

Presence is proven by the elevator's current public code (the sticker in the car:
scanning it needs being there) or by the phone's position within the radius; a position
given with a code is kept with its distance but the code decides.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime

from domain.geo import haversine_m
from domain.localtime import city_date
from maintenance.checkin_items import ChecklistItem, checklist
from maintenance.errors import CheckinRefused, ChecklistIncomplete


@dataclass(frozen=True)
class PhonePosition:
    """The phone's position (WGS-84, as browsers report it)."""

    lon: float
    lat: float
    accuracy_m: float | None = None


@dataclass(frozen=True)
class ScannedCode:
    """A public code the phone scanned, resolved by the caller: its elevator and whether
    it is the elevator's current code."""

    code: str
    elevator_id: int
    current: bool


@dataclass(frozen=True)
class Proof:
    """What the phone sends to prove where the technician is."""

    position: PhonePosition | None = None
    code: ScannedCode | None = None


@dataclass(frozen=True)
class Presence:
    method: str  # "code" or "position"
    distance_m: float | None
    on_site: bool


def presence(
    proof: Proof, elevator_id: int, elevator_lon: float, elevator_lat: float, radius_m: float
) -> Presence:
    """The proven presence at the elevator; :class:`CheckinRefused` when it is not proven."""
    distance = None
    if proof.position is not None:
        distance = round(
            haversine_m(proof.position.lon, proof.position.lat, elevator_lon, elevator_lat), 1
        )
    if proof.code is not None:
        if proof.code.elevator_id != elevator_id:
            raise CheckinRefused("the scanned code belongs to another elevator")
        if not proof.code.current:
            raise CheckinRefused(
                "the scanned code was replaced by a new sticker: scan the sticker now in the car"
            )
        return Presence("code", distance, True)
    if distance is None:
        raise CheckinRefused("scan the elevator's code or send the phone's position")
    if distance > radius_m:
        raise CheckinRefused(
            f"the phone is {distance:.0f} m from the elevator, more than {radius_m:.0f} m:"
            " scan the elevator's code in the car"
        )
    return Presence("position", distance, True)


def check_items(level: str, ticked: Collection[str]) -> list[ChecklistItem]:
    """The ticked items of the level's checklist, in the checklist's order; refused
    (:class:`ChecklistIncomplete`) when a mandatory one is missing or one is unknown."""
    items = checklist(level)
    keys = {item.key for item in items}
    missing = [item.key for item in items if item.mandatory and item.key not in ticked]
    unknown = sorted(set(ticked) - keys)
    if missing or unknown:
        raise ChecklistIncomplete(missing, unknown)
    return [item for item in items if item.key in ticked]


def on_time(finished_at: datetime, due_date: date) -> bool:
    """Finished on or before the due date (the city's calendar)."""
    return city_date(finished_at) <= due_date


@dataclass(frozen=True)
class Checkin:
    """A work order's check-in record as stored."""

    work_order_id: int
    elevator_id: int
    company_id: int
    technician: str
    start_method: str
    started_at: datetime
    start_code: str | None
    start_lon: float | None
    start_lat: float | None
    start_accuracy_m: float | None
    start_distance_m: float | None
    start_on_site: bool
    finish_method: str | None
    finished_at: datetime | None
    finish_code: str | None
    finish_lon: float | None
    finish_lat: float | None
    finish_accuracy_m: float | None
    finish_distance_m: float | None
    finish_on_site: bool | None
    items: list[str]
    due_date: date
    on_time: bool | None
    record_id: int | None


@dataclass(frozen=True)
class TechnicianWorkOrder:
    """A pending work order as the technician's phone lists it."""

    id: int
    elevator_id: int
    elevator_code: str
    district: str
    address: str
    lon: float
    lat: float
    level: str
    due_date: date
    state: str
    technician: str | None  # who checked in, if anyone
    started_at: datetime | None
    distance_m: float | None = None
