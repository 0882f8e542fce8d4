"""Versioned SQL migrations, applied once each and recorded in ``schema_migrations``.

Files live in ``storage/migrations`` as ``NNNN_name.sql``, or as a pair
``NNNN_name.plain.sql`` / ``NNNN_name.timescale.sql`` when the two backends differ. The
backend is chosen at the first migration (TimescaleDB when the extension is available
and preloaded, unless disabled; :func:`decide_backend`) and recorded; later runs keep it.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from typing import Literal

import psycopg

from storage.errors import MigrationError

_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)(?:\.(plain|timescale))?\.sql$")
_LOCK_KEY = 0x6C696674  # "lift"

TimescaleMode = Literal["auto", "on", "off"]
log = logging.getLogger(__name__)


class Backend(StrEnum):
    PLAIN = "plain"
    TIMESCALE = "timescale"


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    variant: str  # "", "plain" or "timescale"
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def discover() -> list[Migration]:
    """All migration files shipped with the package, ordered by version."""
    found: list[Migration] = []
    for entry in resources.files("storage.migrations").iterdir():
        m = _NAME.match(entry.name)
        if m:
            found.append(Migration(int(m[1]), m[2], m[3] or "", entry.read_text("utf-8")))
    return sorted(found, key=lambda x: (x.version, x.variant))


def plan(migrations: list[Migration], backend: Backend) -> list[Migration]:
    """Pick, per version, the generic file or the backend's variant."""
    by_version: dict[int, list[Migration]] = {}
    for m in migrations:
        by_version.setdefault(m.version, []).append(m)
    chosen: list[Migration] = []
    for version in sorted(by_version):
        group = by_version[version]
        generic = [m for m in group if not m.variant]
        variant = [m for m in group if m.variant == backend.value]
        if generic and len(group) == 1:
            chosen.append(generic[0])
        elif variant and not generic:
            chosen.append(variant[0])
        else:
            raise MigrationError(f"migration {version:04d} has no unambiguous {backend} variant")
    return chosen


def timescale_available(conn: psycopg.Connection) -> bool:
    row = conn.execute(
        "SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'"
    ).fetchone()
    return row is not None


def preloads_timescale(shared_preload_libraries: str) -> bool:
    """Whether the setting's list names the timescaledb loader."""
    for entry in shared_preload_libraries.split(","):
        name = entry.strip().strip("'\"").rsplit("/", 1)[-1].removesuffix(".so")
        if name == "timescaledb":
            return True
    return False


def timescale_preloaded(conn: psycopg.Connection) -> bool:
    row = conn.execute("SELECT current_setting('shared_preload_libraries')").fetchone()
    return row is not None and preloads_timescale(str(row[0]))


def timescale_usable(conn: psycopg.Connection) -> bool:
    """The extension is installed and the server preloads it (CREATE EXTENSION works)."""
    return timescale_available(conn) and timescale_preloaded(conn)


def recorded_backend(conn: psycopg.Connection) -> Backend | None:
    if not _table_exists(conn, "schema_migrations"):
        return None
    row = conn.execute(
        "SELECT variant FROM schema_migrations WHERE variant <> '' ORDER BY version LIMIT 1"
    ).fetchone()
    return Backend(row[0]) if row else None


NOT_INSTALLED = "the timescaledb extension is not installed on the server"
NOT_PRELOADED = (
    "the timescaledb extension is installed but not preloaded: add timescaledb to"
    " shared_preload_libraries in postgresql.conf and restart PostgreSQL"
    " (docs/operations.md)"
)


def decide_backend(
    mode: TimescaleMode, recorded: Backend | None, available: bool, preloaded: bool
) -> tuple[Backend, str | None]:
    """The backend, and why Timescale is not used when it was wanted (``auto``).

    ``on`` raises :class:`MigrationError` when Timescale cannot be used.
    """
    if recorded is not None:
        return recorded, None
    if mode == "off":
        return Backend.PLAIN, None
    reason = None if available and preloaded else NOT_PRELOADED if available else NOT_INSTALLED
    if reason is None:
        return Backend.TIMESCALE, None
    if mode == "on":
        raise MigrationError(f"timescale=on but {reason}")
    return Backend.PLAIN, reason


def choose_backend(conn: psycopg.Connection, mode: TimescaleMode) -> Backend:
    recorded = recorded_backend(conn)
    available = recorded is None and mode != "off" and timescale_available(conn)
    preloaded = available and timescale_preloaded(conn)
    backend, reason = decide_backend(mode, recorded, available, preloaded)
    if reason is not None:
        log.warning("TimescaleDB not used, plain PostgreSQL partitions instead: %s", reason)
    return backend


def _table_exists(conn: psycopg.Connection, name: str) -> bool:
    row = conn.execute("SELECT to_regclass(%s)", (name,)).fetchone()
    return row is not None and row[0] is not None


@dataclass(frozen=True)
class MigrationReport:
    backend: Backend
    applied: list[str]
    already: int


def migrate(url: str, timescale: TimescaleMode = "auto") -> MigrationReport:
    """Apply pending migrations; a second run applies nothing and changes nothing."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (_LOCK_KEY,))
        try:
            return _migrate_locked(conn, timescale)
        finally:
            _unlock(conn)


def _unlock(conn: psycopg.Connection) -> None:
    """Release the migration lock, never hiding the error that is propagating."""
    if conn.closed:
        return  # the session ended, and its advisory lock with it
    try:
        conn.execute("SELECT pg_advisory_unlock(%s)", (_LOCK_KEY,))
    except psycopg.Error as exc:
        log.warning("could not release the migration lock: %s", exc)


def _migrate_locked(conn: psycopg.Connection, timescale: TimescaleMode) -> MigrationReport:
    conn.execute(
        """CREATE TABLE IF NOT EXISTS schema_migrations (
               version    integer PRIMARY KEY,
               name       text NOT NULL,
               variant    text NOT NULL,
               checksum   text NOT NULL,
               applied_at timestamptz NOT NULL DEFAULT now())"""
    )
    backend = choose_backend(conn, timescale)
    done = {
        int(r[0]): str(r[1])
        for r in conn.execute("SELECT version, checksum FROM schema_migrations").fetchall()
    }
    applied: list[str] = []
    for m in plan(discover(), backend):
        if m.version in done:
            if done[m.version] != m.checksum:
                raise MigrationError(
                    f"migration {m.version:04d}_{m.name} changed after it was applied"
                )
            continue
        try:
            with conn.transaction():
                conn.execute(m.sql.encode())
                conn.execute(
                    "INSERT INTO schema_migrations (version, name, variant, checksum)"
                    " VALUES (%s, %s, %s, %s)",
                    (m.version, m.name, m.variant, m.checksum),
                )
        except psycopg.Error as exc:
            raise MigrationError(f"migration {m.version:04d}_{m.name} failed: {exc}") from exc
        applied.append(f"{m.version:04d}_{m.name}{'.' + m.variant if m.variant else ''}")
    return MigrationReport(backend=backend, applied=applied, already=len(done))
