"""JWT tokens of the API; roles, principals and credential hashing come from
:mod:`accounts` and are re-exported here for the routers.

Two kinds of token, told apart by the ``typ`` claim: an *access* token (from the login,
sent as ``Authorization: Bearer``) and an *SSE ticket* (from ``POST
/api/v1/auth/sse-ticket``, valid for seconds, single use, accepted only as the
``?ticket=`` of the live-event stream, which EventSource cannot send headers to). Both
name the user (``uid``) and the user's ``token_version`` (``ver``): the user row is
checked on every request, so a deactivated user or a changed password revokes them.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

import jwt

from accounts.credentials import hash_api_key, hash_password, new_api_key, verify_password
from accounts.errors import InvalidCredentials
from accounts.model import Principal, Role

__all__ = [
    "ACCESS",
    "ALGORITHM",
    "SSE_TICKET",
    "InvalidToken",
    "Principal",
    "Role",
    "TokenClaims",
    "create_token",
    "decode_token",
    "hash_api_key",
    "hash_password",
    "issue_token",
    "new_api_key",
    "verify_password",
]

ALGORITHM = "HS256"
ACCESS = "access"
SSE_TICKET = "sse"


class InvalidToken(InvalidCredentials):
    """The token is malformed, expired, of another kind or not signed by us."""


@dataclass(frozen=True)
class TokenClaims:
    """What a valid token says; still to be checked against the user row."""

    principal: Principal
    user_id: int
    version: int
    jti: str
    expires: int


def issue_token(
    secret: str, principal: Principal, lifetime_s: int, *, version: int = 0, kind: str = ACCESS
) -> str:
    """A signed token of ``kind`` for a user (``principal.user_id`` must be set)."""
    if principal.user_id is None:
        raise ValueError("a token is issued to a user (principal.user_id)")
    now = int(time.time())
    claims = {
        "sub": principal.subject,
        "uid": principal.user_id,
        "ver": version,
        "typ": kind,
        "jti": secrets.token_urlsafe(12),
        "role": principal.role.value,
        "company_id": principal.company_id,
        "rescuer_id": principal.rescuer_id,
        "user_unit_id": principal.user_unit_id,
        "iat": now,
        "exp": now + lifetime_s,
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def create_token(secret: str, principal: Principal, minutes: int, version: int = 0) -> str:
    """An access token valid for ``minutes``."""
    return issue_token(secret, principal, minutes * 60, version=version)


def decode_token(secret: str, token: str, kind: str = ACCESS) -> TokenClaims:
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            options={"require": ["exp", "uid", "ver", "typ", "jti"]},
        )
        if claims["typ"] != kind:
            raise InvalidToken(f"not an {kind} token")
        principal = Principal(
            subject=str(claims["sub"]),
            role=Role(claims["role"]),
            company_id=claims.get("company_id"),
            rescuer_id=claims.get("rescuer_id"),
            user_unit_id=claims.get("user_unit_id"),
            user_id=int(claims["uid"]),
        )
        return TokenClaims(
            principal, int(claims["uid"]), int(claims["ver"]), str(claims["jti"]),
            int(claims["exp"]),
        )  # fmt: skip
    except (jwt.PyJWTError, KeyError, ValueError, TypeError) as exc:
        raise InvalidToken(str(exc)) from exc
