"""The backend decision (plain PostgreSQL or TimescaleDB) from the server's facts."""

from __future__ import annotations

import pytest

from storage.errors import MigrationError
from storage.migrate import (
    NOT_INSTALLED,
    NOT_PRELOADED,
    Backend,
    decide_backend,
    preloads_timescale,
)


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ("timescaledb", True),
        ("pg_stat_statements, timescaledb", True),
        ("'timescaledb'", True),
        ("$libdir/timescaledb.so", True),
        ("", False),
        ("pg_stat_statements", False),
        ("timescaledb_toolkit", False),
    ],
)
def test_preload_setting(setting: str, expected: bool) -> None:
    assert preloads_timescale(setting) is expected


def test_auto_uses_timescale_only_when_installed_and_preloaded() -> None:
    assert decide_backend("auto", None, True, True) == (Backend.TIMESCALE, None)
    assert decide_backend("auto", None, True, False) == (Backend.PLAIN, NOT_PRELOADED)
    assert decide_backend("auto", None, False, False) == (Backend.PLAIN, NOT_INSTALLED)


def test_on_fails_with_the_reason() -> None:
    with pytest.raises(MigrationError, match="shared_preload_libraries"):
        decide_backend("on", None, True, False)
    with pytest.raises(MigrationError, match="not installed"):
        decide_backend("on", None, False, False)
    assert decide_backend("on", None, True, True) == (Backend.TIMESCALE, None)


def test_off_and_a_recorded_backend_win() -> None:
    assert decide_backend("off", None, True, True) == (Backend.PLAIN, None)
    assert decide_backend("auto", Backend.TIMESCALE, False, False) == (Backend.TIMESCALE, None)
    assert decide_backend("on", Backend.PLAIN, True, True) == (Backend.PLAIN, None)
