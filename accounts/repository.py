"""Users and API keys: creation with role/scope validation, listing, deactivation.

Synchronous (CLI, demo seeding) and asynchronous (API) front ends share the SQL and the
validation. Passwords arrive already hashed; API keys are stored as their sha256.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg

from domain.errors import InvalidRequestError
from storage.errors import StorageError

ROLES = ("admin", "supervisor", "desk", "company", "rescuer")


class InvalidAccount(StorageError, InvalidRequestError):
    """The role and its scope (company / rescuer) do not fit together."""


@dataclass(frozen=True)
class Account:
    id: int
    username: str
    role: str
    company_id: int | None
    rescuer_id: int | None
    active: bool


@dataclass(frozen=True)
class ApiKeyRecord:
    id: int
    name: str
    role: str
    company_id: int | None
    rescuer_id: int | None
    revoked: bool


def check_scope(role: str, company_id: int | None, rescuer_id: int | None) -> None:
    if role not in ROLES:
        raise InvalidAccount(f"unknown role {role!r}; one of {', '.join(ROLES)}")
    if role == "company" and company_id is None:
        raise InvalidAccount("a company account needs a company id")
    if role == "rescuer" and rescuer_id is None:
        raise InvalidAccount("a rescuer account needs a rescuer id")
    if role != "company" and company_id is not None:
        raise InvalidAccount("only a company account has a company id")
    if role != "rescuer" and rescuer_id is not None:
        raise InvalidAccount("only a rescuer account has a rescuer id")


_INSERT_USER = """INSERT INTO users (username, password_hash, role, company_id, rescuer_id)
    VALUES (%s, %s, %s, %s, %s)
    RETURNING id, username, role, company_id, rescuer_id, active"""
_UPSERT_USER = _INSERT_USER.replace(
    "RETURNING",
    """ON CONFLICT (username) DO UPDATE SET password_hash = EXCLUDED.password_hash,
        role = EXCLUDED.role, company_id = EXCLUDED.company_id,
        rescuer_id = EXCLUDED.rescuer_id, active = true
    RETURNING""",
)
_INSERT_KEY = """INSERT INTO api_keys (name, key_hash, role, company_id, rescuer_id)
    VALUES (%s, %s, %s, %s, %s) RETURNING id, name, role, company_id, rescuer_id,
    revoked_at IS NOT NULL"""
LIST_USERS = """SELECT id, username, role, company_id, rescuer_id, active FROM users
    ORDER BY id LIMIT %s OFFSET %s"""
LIST_KEYS = """SELECT id, name, role, company_id, rescuer_id, revoked_at IS NOT NULL
    FROM api_keys ORDER BY id LIMIT %s OFFSET %s"""


def account(row: Any) -> Account:
    return Account(int(row[0]), str(row[1]), str(row[2]), row[3], row[4], bool(row[5]))


def key_record(row: Any) -> ApiKeyRecord:
    return ApiKeyRecord(int(row[0]), str(row[1]), str(row[2]), row[3], row[4], bool(row[5]))


@dataclass(frozen=True)
class Scope:
    """Whom an account or API key acts as: a role, and the company or rescuer it is tied to
    (checked on creation: :func:`check_scope`)."""

    role: str
    company_id: int | None = None
    rescuer_id: int | None = None

    def __post_init__(self) -> None:
        check_scope(self.role, self.company_id, self.rescuer_id)


def _one(row: Any) -> Any:
    if row is None:
        raise StorageError("INSERT … RETURNING returned no row")
    return row


def create_user(
    conn: psycopg.Connection[Any], username: str, password_hash: str, scope: Scope,
    replace: bool = False,
) -> Account:  # fmt: skip
    """A new user (``replace``: or the existing one of that name, updated and reactivated)."""
    params = (username, password_hash, scope.role, scope.company_id, scope.rescuer_id)
    return account(_one(conn.execute(_UPSERT_USER if replace else _INSERT_USER, params).fetchone()))


def create_api_key(
    conn: psycopg.Connection[Any], name: str, key_hash: str, scope: Scope
) -> ApiKeyRecord:
    params = (name, key_hash, scope.role, scope.company_id, scope.rescuer_id)
    return key_record(_one(conn.execute(_INSERT_KEY, params).fetchone()))


async def acreate_user(
    conn: psycopg.AsyncConnection[Any], username: str, password_hash: str, scope: Scope
) -> Account:
    params = (username, password_hash, scope.role, scope.company_id, scope.rescuer_id)
    return account(_one(await (await conn.execute(_INSERT_USER, params)).fetchone()))


async def acreate_api_key(
    conn: psycopg.AsyncConnection[Any], name: str, key_hash: str, scope: Scope
) -> ApiKeyRecord:
    params = (name, key_hash, scope.role, scope.company_id, scope.rescuer_id)
    return key_record(_one(await (await conn.execute(_INSERT_KEY, params)).fetchone()))
