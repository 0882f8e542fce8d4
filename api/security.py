"""JWT access tokens of the API; roles, principals and credential hashing come from
:mod:`accounts` and are re-exported here for the routers."""

from __future__ import annotations

import time

import jwt

from accounts.credentials import hash_api_key, hash_password, new_api_key, verify_password
from accounts.errors import InvalidCredentials
from accounts.model import Principal, Role

__all__ = [
    "ALGORITHM",
    "InvalidToken",
    "Principal",
    "Role",
    "create_token",
    "decode_token",
    "hash_api_key",
    "hash_password",
    "new_api_key",
    "verify_password",
]

ALGORITHM = "HS256"


class InvalidToken(InvalidCredentials):
    """The token is malformed, expired or not signed by us."""


def create_token(secret: str, principal: Principal, minutes: int) -> str:
    now = int(time.time())
    claims = {
        "sub": principal.subject,
        "role": principal.role.value,
        "company_id": principal.company_id,
        "rescuer_id": principal.rescuer_id,
        "user_unit_id": principal.user_unit_id,
        "iat": now,
        "exp": now + minutes * 60,
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def decode_token(secret: str, token: str) -> Principal:
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], options={"require": ["exp"]})
        return Principal(
            subject=str(claims["sub"]),
            role=Role(claims["role"]),
            company_id=claims.get("company_id"),
            rescuer_id=claims.get("rescuer_id"),
            user_unit_id=claims.get("user_unit_id"),
        )
    except (jwt.PyJWTError, KeyError, ValueError) as exc:
        raise InvalidToken(str(exc)) from exc
