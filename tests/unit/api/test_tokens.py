"""Access tokens and SSE tickets: kinds are not interchangeable, users are named."""

from __future__ import annotations

import jwt
import pytest

from api.security import (
    SSE_TICKET,
    InvalidToken,
    Principal,
    Role,
    create_token,
    decode_token,
    issue_token,
)

SECRET = "s" * 40
USER = Principal("desk1", Role.DESK, user_id=7)


def test_claims_name_the_user_and_version() -> None:
    claims = decode_token(SECRET, create_token(SECRET, USER, 5, version=3))
    assert (claims.user_id, claims.version, claims.principal) == (7, 3, USER)


def test_a_ticket_is_not_an_access_token_nor_the_reverse() -> None:
    ticket = issue_token(SECRET, USER, 30, kind=SSE_TICKET)
    with pytest.raises(InvalidToken):
        decode_token(SECRET, ticket)
    with pytest.raises(InvalidToken):
        decode_token(SECRET, create_token(SECRET, USER, 5), SSE_TICKET)
    assert decode_token(SECRET, ticket, SSE_TICKET).principal == USER


def test_a_token_without_user_is_refused() -> None:
    with pytest.raises(ValueError, match="user"):
        create_token(SECRET, Principal("x", Role.DESK), 5)
    legacy = jwt.encode({"sub": "x", "role": "admin", "exp": 2**40}, SECRET, algorithm="HS256")
    with pytest.raises(InvalidToken):
        decode_token(SECRET, legacy)
