"""The city's calendar: maintenance days, due dates and "today" are dates in the city's
local time (China Standard Time, UTC+8, no daylight saving since 1991), not in UTC. A
maintenance visit finished at 01:30 on 5 March in Guangzhou was done on 5 March, though it
is still 4 March in UTC; the daily score job that runs at 02:00 local time plans for the
local day.

Times are stored and exchanged as instants (UTC); only the conversion to a date uses this.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

CITY_TZ = timezone(timedelta(hours=8), "CST")
CITY_TZ_NAME = "Asia/Shanghai"  # the same zone by name, for PostgreSQL's AT TIME ZONE


def city_date(at: datetime) -> date:
    """The city's calendar date at the instant ``at`` (a naive time is taken as UTC)."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(CITY_TZ).date()


def city_today() -> date:
    return datetime.now(CITY_TZ).date()
