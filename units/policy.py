"""Pure rules of the user units' records: the period a record belongs to, the check of a
record against its checklist, and completion over a window (docs/maintenance.md)."""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Any

from units.errors import InvalidCheck
from units.model import CheckCounts, CheckKind, Completion, NewCheck

# Completion weights: the daily checks carry most, then the weekly investigation, then
# the monthly meeting (our design; docs/maintenance.md).
WEIGHTS = {CheckKind.DAILY: 0.5, CheckKind.WEEKLY: 0.3, CheckKind.MONTHLY: 0.2}
WINDOW_DAYS = 84  # twelve weeks; about three months


def period_start(kind: CheckKind, day: date) -> date:
    """The day itself, the Monday of its week, or the first of its month."""
    if kind is CheckKind.WEEKLY:
        return day - timedelta(days=day.weekday())
    if kind is CheckKind.MONTHLY:
        return day.replace(day=1)
    return day


def check_record(new: NewCheck, per: str, items: list[dict[str, Any]], today: date) -> int:
    """The number of problems found; :class:`InvalidCheck` when the record does not fit its
    checklist: every item answered, the target its checklist asks for, minutes for a
    meeting, not in the future nor older than 31 days."""
    if new.day > today or (today - new.day).days > 31:
        raise InvalidCheck("errors.units.day_out_of_range")
    keys = {str(i["key"]) for i in items}
    if set(new.results) != keys:
        missing = sorted(keys - set(new.results))
        extra = sorted(set(new.results) - keys)
        raise InvalidCheck(
            "errors.units.items_unanswered", missing=", ".join(missing), unknown=", ".join(extra)
        )
    if new.kind is CheckKind.DAILY:
        if per == "elevator" and new.elevator_id is None:
            raise InvalidCheck("errors.units.daily_per_elevator")
        if per == "building" and not new.building:
            raise InvalidCheck("errors.units.daily_per_building")
    if new.kind is CheckKind.MONTHLY and len(new.minutes.strip()) < 10:
        raise InvalidCheck("errors.units.minutes_needed")
    return sum(1 for ok in new.results.values() if not ok)


def completion(c: CheckCounts, days: int = WINDOW_DAYS) -> Completion:
    """Shares of the expected records made in the window; the overall is their weighted
    mean, NaN for a unit that keeps no records here (its registered level stands)."""
    daily = min(1.0, c.daily_done / (c.elevators * days)) if c.elevators else math.nan
    weekly = min(1.0, c.weekly_done / max(1, days // 7))
    monthly = min(1.0, c.monthly_done / max(1, round(days / 30.4)))
    overall = math.nan
    if c.recorded_ever and c.elevators:
        overall = (
            WEIGHTS[CheckKind.DAILY] * daily
            + WEIGHTS[CheckKind.WEEKLY] * weekly
            + WEIGHTS[CheckKind.MONTHLY] * monthly
        )
    return Completion(c.user_unit_id, daily, weekly, monthly, overall, c.staffed)
