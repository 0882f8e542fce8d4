"""Bounded, strictly typed request parameters shared by the routes.

What the OpenAPI document says a parameter takes is what the route accepts: a date-time
is ISO 8601 text (pydantic alone would also read ``0.5`` as a Unix time), a list of map
statuses is checked by a pattern, not only after parsing.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated

from pydantic import BeforeValidator

from api.map_index import STATUS_NAMES

_NUMBER = re.compile(r"\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*")


def _iso_8601_only(value: object) -> object:
    if isinstance(value, str) and _NUMBER.fullmatch(value):
        raise ValueError("a date-time in ISO 8601, e.g. 2026-12-01T09:30:00+08:00")
    return value


IsoDateTime = Annotated[datetime, BeforeValidator(_iso_8601_only)]


def _iso_date_only(value: object) -> object:
    if value is not None and not isinstance(value, str | date):
        raise ValueError("a date in ISO 8601, e.g. 2026-12-01")
    return _iso_8601_only(value)


# A date given as ISO text in a JSON body (not a number read as a Unix time).
IsoDate = Annotated[date, BeforeValidator(_iso_date_only)]

_STATUS = "|".join(re.escape(name) for name in STATUS_NAMES)
# Comma-separated map status names (api.map_index.STATUS_NAMES).
STATUS_LIST_PATTERN = f"^({_STATUS})(,({_STATUS}))*$"
