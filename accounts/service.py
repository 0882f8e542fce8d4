"""Use cases of accounts: logging in, identifying an API key, managing users and keys.

Passwords and keys arrive in clear and leave this module hashed; a new API key is
returned once, with its record, and never stored in clear.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg

from accounts import repository
from accounts.credentials import (
    acheck_password,
    ahash_password,
    hash_api_key,
    hash_password,
    new_api_key,
)
from accounts.errors import ApiKeyNotFound, UserNotFound
from accounts.model import Account, ApiKeyRecord, Authenticated, Principal, Role, Scope

AsyncConn = psycopg.AsyncConnection[Any]


@dataclass(frozen=True)
class NewApiKey:
    record: ApiKeyRecord
    key: str  # shown once


async def authenticate(conn: AsyncConn, username: str, password: str) -> Authenticated | None:
    """The principal of an active user with this password (and the version to issue
    its token under), or None. Takes as long for an unknown user as for a wrong password
    (the dummy hash is checked); hashing runs in a worker thread."""
    found = await repository.find_credentials(conn, username)
    ok = await acheck_password(found.password_hash if found else None, password)
    if found is None or not ok:
        return None
    principal = Principal(
        username,
        Role(found.role),
        found.company_id,
        found.rescuer_id,
        found.user_unit_id,
        user_id=found.id,
    )
    return Authenticated(principal, found.token_version)


async def principal_of_token(conn: AsyncConn, user_id: int, token_version: int) -> Principal | None:
    """The principal a token of ``user_id`` issued under ``token_version`` acts as, read
    from the user row (so role changes apply at once); None when the user is gone,
    deactivated, or changed password since the token was issued."""
    user = await repository.find_token_user(conn, user_id)
    if user is None or not user.active or user.token_version != token_version:
        return None
    return user.principal()


async def principal_of_api_key(conn: AsyncConn, key: str) -> Principal | None:
    """The principal an unrevoked API key acts as, or None."""
    record = await repository.find_api_key(conn, hash_api_key(key))
    if record is None:
        return None
    return Principal(
        f"api-key:{record.name}", Role(record.role), record.company_id, record.rescuer_id
    )


async def list_users(conn: AsyncConn, limit: int, offset: int) -> list[Account]:
    return await repository.list_users(conn, limit, offset)


async def add_user(conn: AsyncConn, username: str, password: str, scope: Scope) -> Account:
    return await repository.acreate_user(conn, username, await ahash_password(password), scope)


async def change_user(
    conn: AsyncConn, user_id: int, active: bool | None, password: str | None
) -> Account:
    """(De)activate a user or set a new password (either revokes the user's tokens);
    :class:`UserNotFound` if unknown."""
    password_hash = await ahash_password(password) if password else None
    account = await repository.update_user(conn, user_id, active, password_hash)
    if account is None:
        raise UserNotFound(user_id)
    return account


async def list_api_keys(conn: AsyncConn, limit: int, offset: int) -> list[ApiKeyRecord]:
    return await repository.list_api_keys(conn, limit, offset)


async def issue_api_key(conn: AsyncConn, name: str, scope: Scope) -> NewApiKey:
    key = new_api_key()
    return NewApiKey(await repository.acreate_api_key(conn, name, hash_api_key(key), scope), key)


async def revoke_api_key(conn: AsyncConn, key_id: int) -> ApiKeyRecord:
    record = await repository.revoke_api_key(conn, key_id)
    if record is None:
        raise ApiKeyNotFound(key_id)
    return record


# -- synchronous front end (command line, demo seeding) --------------------------------------
def create_user(
    conn: psycopg.Connection[Any], username: str, password: str, scope: Scope,
    replace: bool = False,
) -> Account:  # fmt: skip
    """A new user (``replace``: or the existing one, with this password, reactivated)."""
    return repository.create_user(conn, username, hash_password(password), scope, replace)


def create_api_key(conn: psycopg.Connection[Any], name: str, scope: Scope) -> NewApiKey:
    key = new_api_key()
    return NewApiKey(repository.create_api_key(conn, name, hash_api_key(key), scope), key)


async def token_version(conn: AsyncConn, user_id: int) -> int:
    """The user's current token version; :class:`UserNotFound` if unknown."""
    user = await repository.find_token_user(conn, user_id)
    if user is None:
        raise UserNotFound(user_id)
    return user.token_version
