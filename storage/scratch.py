"""Throw-away databases on a PostgreSQL server, for the benchmarks and the tests: created
under a unique name, migrated, dropped (with their connections) when done."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

from storage.migrate import TimescaleMode, migrate


def url_on(server_url: str, name: str) -> str:
    """``server_url`` with its database name replaced by ``name``."""
    return urlunsplit(urlsplit(server_url)._replace(path="/" + name))


@dataclass(frozen=True)
class ScratchDatabase:
    server_url: str
    name: str

    @property
    def url(self) -> str:
        return url_on(self.server_url, self.name)

    def drop(self) -> None:
        with psycopg.connect(self.server_url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.name))
            )


def create_database(
    server_url: str, prefix: str, timescale: TimescaleMode = "auto"
) -> ScratchDatabase:
    """A new database ``<prefix>_<random>`` on the server, with the schema migrated."""
    db = ScratchDatabase(server_url, f"{prefix}_{uuid.uuid4().hex[:12]}")
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db.name)))
    try:
        migrate(db.url, timescale)
    except BaseException:
        db.drop()
        raise
    return db
