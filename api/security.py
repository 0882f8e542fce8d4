"""Password hashing (argon2), JWT access tokens and API keys."""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from enum import StrEnum

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
ALGORITHM = "HS256"


class Role(StrEnum):
    ADMIN = "admin"
    SUPERVISOR = "supervisor"
    DESK = "desk"
    COMPANY = "company"
    RESCUER = "rescuer"


@dataclass(frozen=True)
class Principal:
    """Who is calling: a user (JWT) or a machine client (API key)."""

    subject: str
    role: Role
    company_id: int | None = None
    rescuer_id: int | None = None

    def sees_company(self, company_id: int) -> bool:
        """Whether this caller may see data of ``company_id``'s elevators."""
        if self.role is Role.COMPANY:
            return self.company_id == company_id
        return self.role in (Role.ADMIN, Role.SUPERVISOR, Role.DESK)


class InvalidToken(Exception):
    """The token is malformed, expired or not signed by us."""


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def create_token(secret: str, principal: Principal, minutes: int) -> str:
    now = int(time.time())
    claims = {
        "sub": principal.subject,
        "role": principal.role.value,
        "company_id": principal.company_id,
        "rescuer_id": principal.rescuer_id,
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
        )
    except (jwt.PyJWTError, KeyError, ValueError) as exc:
        raise InvalidToken(str(exc)) from exc


def new_api_key() -> str:
    return "lw_" + secrets.token_urlsafe(32)


def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()
