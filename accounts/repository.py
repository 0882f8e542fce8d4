"""Users and API keys in PostgreSQL: the only place with their SQL.

Synchronous (CLI, demo seeding) and asynchronous (API) front ends share the SQL. Passwords
arrive already hashed; API keys are stored as their sha256. Rows come back as the frozen
dataclasses of :mod:`accounts.model`.
"""

from __future__ import annotations

from typing import Any, TypeVar

import psycopg
from psycopg.rows import class_row

from accounts.errors import AccountError, InvalidAccount
from accounts.model import (
    ROLES,
    Account,
    ApiKeyRecord,
    Credentials,
    Scope,
    TokenUser,
    check_scope,
)

# Names other packages import from here (kept stable).
__all__ = [
    "ROLES",
    "Account",
    "ApiKeyRecord",
    "Credentials",
    "InvalidAccount",
    "Scope",
    "acreate_api_key",
    "acreate_user",
    "check_scope",
    "create_api_key",
    "create_user",
    "find_api_key",
    "find_credentials",
    "find_token_user",
    "list_api_keys",
    "list_users",
    "revoke_api_key",
    "update_user",
]

T = TypeVar("T")
AsyncConn = psycopg.AsyncConnection[Any]

_INSERT_USER = """INSERT INTO users (username, password_hash, role, company_id, rescuer_id,
        user_unit_id) VALUES (%s, %s, %s, %s, %s, %s)
    RETURNING id, username, role, company_id, rescuer_id, active, token_version, user_unit_id"""
_UPSERT_USER = """INSERT INTO users (username, password_hash, role, company_id, rescuer_id,
        user_unit_id) VALUES (%s, %s, %s, %s, %s, %s)
    ON CONFLICT (username) DO UPDATE SET password_hash = EXCLUDED.password_hash,
        role = EXCLUDED.role, company_id = EXCLUDED.company_id,
        rescuer_id = EXCLUDED.rescuer_id, user_unit_id = EXCLUDED.user_unit_id, active = true,
        token_version = users.token_version + 1
    RETURNING id, username, role, company_id, rescuer_id, active, token_version, user_unit_id"""
_INSERT_KEY = """INSERT INTO api_keys (name, key_hash, role, company_id, rescuer_id, user_unit_id)
    VALUES (%s, %s, %s, %s, %s, %s)
    RETURNING id, name, role, company_id, rescuer_id, revoked_at IS NOT NULL AS revoked"""


def _inserted(row: T | None) -> T:
    if row is None:
        raise AccountError("INSERT … RETURNING returned no row")
    return row


def _scope_params(scope: Scope) -> tuple[str, int | None, int | None, int | None]:
    return scope.role, scope.company_id, scope.rescuer_id, scope.user_unit_id


def create_user(
    conn: psycopg.Connection[Any], username: str, password_hash: str, scope: Scope,
    replace: bool = False,
) -> Account:  # fmt: skip
    """A new user (``replace``: or the existing one of that name, updated and reactivated)."""
    with conn.cursor(row_factory=class_row(Account)) as cur:
        cur.execute(
            _UPSERT_USER if replace else _INSERT_USER,
            (username, password_hash, *_scope_params(scope)),
        )
        return _inserted(cur.fetchone())


def create_api_key(
    conn: psycopg.Connection[Any], name: str, key_hash: str, scope: Scope
) -> ApiKeyRecord:
    with conn.cursor(row_factory=class_row(ApiKeyRecord)) as cur:
        cur.execute(_INSERT_KEY, (name, key_hash, *_scope_params(scope)))
        return _inserted(cur.fetchone())


async def _fetch_one(conn: AsyncConn, row_type: type[T], query: str, params: Any) -> T | None:
    async with conn.cursor(row_factory=class_row(row_type)) as cur:
        await cur.execute(query, params)
        return await cur.fetchone()


async def _fetch_all(conn: AsyncConn, row_type: type[T], query: str, params: Any) -> list[T]:
    async with conn.cursor(row_factory=class_row(row_type)) as cur:
        await cur.execute(query, params)
        return await cur.fetchall()


async def acreate_user(conn: AsyncConn, username: str, password_hash: str, scope: Scope) -> Account:
    params = (username, password_hash, *_scope_params(scope))
    return _inserted(await _fetch_one(conn, Account, _INSERT_USER, params))


async def acreate_api_key(conn: AsyncConn, name: str, key_hash: str, scope: Scope) -> ApiKeyRecord:
    params = (name, key_hash, *_scope_params(scope))
    return _inserted(await _fetch_one(conn, ApiKeyRecord, _INSERT_KEY, params))


async def list_users(conn: AsyncConn, limit: int, offset: int) -> list[Account]:
    query = """SELECT id, username, role, company_id, rescuer_id, active, token_version,
                      user_unit_id
               FROM users ORDER BY id LIMIT %s OFFSET %s"""
    return await _fetch_all(conn, Account, query, (limit, offset))


async def list_api_keys(conn: AsyncConn, limit: int, offset: int) -> list[ApiKeyRecord]:
    query = """SELECT id, name, role, company_id, rescuer_id, revoked_at IS NOT NULL AS revoked
               FROM api_keys ORDER BY id LIMIT %s OFFSET %s"""
    return await _fetch_all(conn, ApiKeyRecord, query, (limit, offset))


async def update_user(
    conn: AsyncConn, user_id: int, active: bool | None, password_hash: str | None
) -> Account | None:
    """Change what is given (``None``: keep); None when there is no such user.

    Deactivating the user or setting a password bumps ``token_version``: every token
    issued before stops working on its next request."""
    query = """UPDATE users SET active = COALESCE(%(active)s, active),
                  password_hash = COALESCE(%(hash)s, password_hash),
                  token_version = token_version + CASE
                      WHEN %(active)s::boolean IS FALSE OR %(hash)s::text IS NOT NULL
                      THEN 1 ELSE 0 END
           WHERE id = %(id)s
           RETURNING id, username, role, company_id, rescuer_id, active, token_version,
                     user_unit_id"""
    params = {"active": active, "hash": password_hash, "id": user_id}
    return await _fetch_one(conn, Account, query, params)


async def revoke_api_key(conn: AsyncConn, key_id: int) -> ApiKeyRecord | None:
    """Revoke the key (once: a second revocation keeps the first time); None if unknown."""
    query = """UPDATE api_keys SET revoked_at = COALESCE(revoked_at, now()) WHERE id = %s
           RETURNING id, name, role, company_id, rescuer_id, revoked_at IS NOT NULL AS revoked"""
    return await _fetch_one(conn, ApiKeyRecord, query, (key_id,))


async def find_credentials(conn: AsyncConn, username: str) -> Credentials | None:
    """The password hash and scope of an active user of that name."""
    query = """SELECT id, password_hash, role, company_id, rescuer_id, token_version,
                      user_unit_id FROM users
               WHERE username = %s AND active"""
    return await _fetch_one(conn, Credentials, query, (username,))


async def find_token_user(conn: AsyncConn, user_id: int) -> TokenUser | None:
    """The user a token names (active or not: the caller decides)."""
    query = """SELECT id, username, role, company_id, rescuer_id, active, token_version,
                      user_unit_id FROM users WHERE id = %s"""
    return await _fetch_one(conn, TokenUser, query, (user_id,))


async def find_api_key(conn: AsyncConn, key_hash: str) -> ApiKeyRecord | None:
    """The unrevoked key with this hash."""
    query = """SELECT id, name, role, company_id, rescuer_id, revoked_at IS NOT NULL AS revoked
               FROM api_keys WHERE key_hash = %s AND revoked_at IS NULL"""
    return await _fetch_one(conn, ApiKeyRecord, query, (key_hash,))
