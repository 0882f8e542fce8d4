"""The city's calendar: dates in China Standard Time (UTC+8), whatever the host's zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from domain.localtime import city_date


@pytest.mark.parametrize(
    ("instant", "local_day"),
    [
        (datetime(2026, 3, 4, 15, 59, 59, tzinfo=UTC), date(2026, 3, 4)),  # 23:59:59 local
        (datetime(2026, 3, 4, 16, 0, tzinfo=UTC), date(2026, 3, 5)),  # local midnight
        (datetime(2026, 3, 4, 23, 30, tzinfo=UTC), date(2026, 3, 5)),  # 07:30 local
        (datetime(2026, 3, 5, 1, 0, tzinfo=timezone(timedelta(hours=9))), date(2026, 3, 5)),
        (datetime(2026, 12, 31, 16, 0), date(2027, 1, 1)),  # naive: taken as UTC
    ],
)
def test_city_date(instant: datetime, local_day: date) -> None:
    assert city_date(instant) == local_day
