"""Secrets at rest: passwords hashed with argon2, API keys stored as their sha256.

argon2 is deliberately slow (tens of milliseconds): the asynchronous front end runs it in
a worker thread (:func:`acheck_password`, :func:`ahash_password`), never on the event
loop. A login for an unknown user is checked against a dummy hash, so it costs the same
time as a wrong password and does not tell which user names exist.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@functools.cache
def dummy_hash() -> str:
    """A hash of a random password (same parameters as real ones), made once."""
    return hash_password(secrets.token_urlsafe(24))


def check_password(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches; with no hash (unknown user) the dummy hash is checked
    all the same and the answer is False."""
    if password_hash is None:
        verify_password(dummy_hash(), password)
        return False
    return verify_password(password_hash, password)


async def acheck_password(password_hash: str | None, password: str) -> bool:
    return await asyncio.to_thread(check_password, password_hash, password)


async def ahash_password(password: str) -> str:
    return await asyncio.to_thread(hash_password, password)


def new_api_key() -> str:
    return "lw_" + secrets.token_urlsafe(32)


def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()
