"""Pure rules of the public pages: codes, public status, deadlines, rate limits, export.

No I/O here: time comes in as arguments, so the token buckets and deadlines are tested
without a clock or a database.
"""

from __future__ import annotations

import csv
import io
import re
import secrets
from collections import OrderedDict
from dataclasses import asdict, dataclass, fields
from datetime import date, datetime, timedelta
from typing import Any

from domain.codes import MODE_INSPECTION, MODE_OUT_OF_SERVICE
from domain.districts import DISTRICTS
from public.config import PublicSettings
from public.errors import InvalidReport
from public.model import (
    CATEGORIES,
    DisclosureRow,
    PublicElevator,
    PublicStatus,
    ReportKind,
)

CODE_BYTES = 9  # 72 random bits -> 12 URL-safe characters
CODE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{8,32}$")
TOKEN_BYTES = 18  # the reporter's link: 144 random bits


def new_code() -> str:
    """A fresh public code: random, URL-safe, unrelated to the elevator's id."""
    return secrets.token_urlsafe(CODE_BYTES)


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def valid_code(code: str) -> bool:
    return CODE_PATTERN.fullmatch(code) is not None


def page_url(base_url: str, code: str) -> str:
    return f"{base_url.rstrip('/')}/e/{code}"


def district_name(value: str | None) -> str | None:
    """The stored (English) district name for ``天河区``, ``Tianhe`` or ``tianhe``."""
    if value is None:
        return None
    for district in DISTRICTS:
        if value.strip().lower() in (district.name.lower(), district.name_zh):
            return district.name
    names = ", ".join(f"{d.name_zh} ({d.name})" for d in DISTRICTS)
    raise InvalidReport(f"unknown district {value!r}: one of {names}")


def public_status(row: DisclosureRow) -> PublicStatus:
    """Rescue beats out of service beats maintenance beats in service."""
    if row.rescue_active:
        return PublicStatus.RESCUE
    if not row.in_service or row.mode == MODE_OUT_OF_SERVICE:
        return PublicStatus.OUT_OF_SERVICE
    if row.maintenance_active or row.mode == MODE_INSPECTION:
        return PublicStatus.MAINTENANCE
    return PublicStatus.IN_SERVICE


def disclose(row: DisclosureRow, today: date) -> PublicElevator:
    """The posted record: the facts plus the derived status and insurance flag."""
    insured = row.insurance_expiry is not None and row.insurance_expiry >= today
    return PublicElevator(
        registration_code=row.registration_code,
        district=row.district,
        address=row.address,
        building_type=row.building_type,
        user_unit=row.user_unit,
        safety_officer_name=row.safety_officer_name,
        safety_officer_phone=row.safety_officer_phone,
        company_name=row.company_name,
        company_phone=row.company_phone,
        last_maintenance=row.last_maintenance,
        next_maintenance_due=row.next_maintenance_due,
        inspection_valid_until=row.inspection_valid_until,
        insured=insured,
        grade=row.grade,
        status=public_status(row),
    )


def check_category(kind: ReportKind, category: str) -> str:
    allowed = CATEGORIES[kind]
    chosen = category or allowed[0]
    if chosen not in allowed:
        raise InvalidReport(f"category of a {kind.value} report is one of {', '.join(allowed)}")
    return chosen


def answer_due(kind: ReportKind, opened_at: datetime, settings: PublicSettings) -> datetime:
    hours = (
        settings.fault_answer_hours if kind is ReportKind.FAULT else settings.complaint_answer_hours
    )
    return opened_at + timedelta(hours=hours)


@dataclass
class TokenBucket:
    """``capacity`` tokens, refilled at ``per_minute``; one request takes one token."""

    capacity: float
    per_minute: float
    tokens: float
    updated: float  # monotonic seconds

    def take(self, now: float) -> bool:
        elapsed = max(0.0, now - self.updated)
        self.tokens = min(self.capacity, self.tokens + elapsed * self.per_minute / 60.0)
        self.updated = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


class RateLimiter:
    """Token buckets by key, for one process; the least recently used keys beyond
    ``max_keys`` are forgotten (a forgotten key starts again with a full bucket)."""

    def __init__(self, per_minute: int, max_keys: int = 100_000) -> None:
        self.per_minute = float(per_minute)
        self.max_keys = max_keys
        self._buckets: OrderedDict[str, TokenBucket] = OrderedDict()

    def allow(self, key: str, now: float) -> bool:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = TokenBucket(self.per_minute, self.per_minute, self.per_minute, now)
            self._buckets[key] = bucket
            if len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(key)
        return bucket.take(now)

    def __len__(self) -> int:
        return len(self._buckets)


EXPORT_FIELDS = tuple(f.name for f in fields(PublicElevator))


def export_record(elevator: PublicElevator) -> dict[str, Any]:
    """One elevator of the open-data list, JSON-ready (dates as ISO text)."""
    record = asdict(elevator)
    for key, value in record.items():
        if isinstance(value, date):
            record[key] = value.isoformat()
    record["status"] = elevator.status.value
    return record


def export_csv(elevators: list[PublicElevator]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=EXPORT_FIELDS, lineterminator="\n")
    writer.writeheader()
    for elevator in elevators:
        writer.writerow(export_record(elevator))
    return out.getvalue()
