"""Typed FastAPI dependencies: settings, database connection, the calling principal.

A request takes at most one connection from the pool, on first use (the check of the
caller's user row or API key, or the route's ``Db``, whichever comes first) and gives it
back when the request ends: authentication and the route share that one connection.
A bearer token is checked against its user row on every request (active, and issued
under the user's current ``token_version``), so revocation takes effect at once.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Header, HTTPException, Query, Request, status
from fastapi.security import OAuth2PasswordBearer
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from accounts import service as accounts
from api.security import ACCESS, SSE_TICKET, InvalidToken, Principal, Role, decode_token
from api.tickets import TicketBook

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


def get_pool(request: Request) -> AsyncConnectionPool:
    pool: AsyncConnectionPool = request.app.state.pool
    return pool


class RequestConnection:
    """The request's one pooled connection, taken from the pool on first use."""

    def __init__(self, pool: AsyncConnectionPool, stack: contextlib.AsyncExitStack) -> None:
        self._pool = pool
        self._stack = stack
        self._conn: AsyncConnection | None = None

    async def get(self) -> AsyncConnection:
        if self._conn is None:
            self._conn = await self._stack.enter_async_context(self._pool.connection())
        return self._conn


async def request_connection(request: Request) -> AsyncIterator[RequestConnection]:
    async with contextlib.AsyncExitStack() as stack:
        yield RequestConnection(get_pool(request), stack)


RequestDb = Annotated[RequestConnection, Depends(request_connection)]


async def get_conn(connection: RequestDb) -> AsyncConnection:
    return await connection.get()


Db = Annotated[AsyncConnection, Depends(get_conn)]

_UNAUTHORIZED = HTTPException(
    status_code=status.HTTP_401_UNAUTHORIZED,
    detail="errors.auth.not_authenticated",  # a catalogue key (docs/ui.md)
    headers={"WWW-Authenticate": "Bearer"},
)


async def _from_token(request: Request, conn: AsyncConnection, token: str, kind: str) -> Principal:
    try:
        claims = decode_token(request.app.state.jwt_secret, token, kind)
    except InvalidToken:
        raise _UNAUTHORIZED from None
    if kind == SSE_TICKET and not ticket_book(request).use(claims.jti, claims.expires):
        raise _UNAUTHORIZED
    principal = await accounts.principal_of_token(conn, claims.user_id, claims.version)
    if principal is None:
        raise _UNAUTHORIZED
    return principal


async def _from_api_key(conn: AsyncConnection, key: str) -> Principal:
    principal = await accounts.principal_of_api_key(conn, key)
    if principal is None:
        raise _UNAUTHORIZED
    return principal


async def get_principal(
    request: Request,
    token: Annotated[str | None, Depends(oauth2_scheme)],
    connection: RequestDb,
    x_api_key: Annotated[str | None, Header()] = None,
) -> Principal:
    if token:
        return await _from_token(request, await connection.get(), token, ACCESS)
    if x_api_key:
        return await _from_api_key(await connection.get(), x_api_key)
    raise _UNAUTHORIZED


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


def require_roles(
    *roles: Role,
) -> Callable[[Principal], Coroutine[Any, Any, Principal]]:
    """A dependency admitting only the given roles (admin is always admitted)."""
    allowed = frozenset(roles) | {Role.ADMIN}

    async def check(principal: CurrentPrincipal) -> Principal:
        if principal.role not in allowed:
            raise HTTPException(
                status_code=status.HTTP_403_FORBIDDEN,
                detail="errors.auth.role_forbidden",
            )
        return principal

    return check


NO_COMPANY = -1  # matches no elevator: a company principal without a company sees nothing


def company_scope(principal: Principal) -> int | None:
    """The company whose data alone the caller may see, or None for every company."""
    if principal.role in (Role.COMPANY, Role.TECHNICIAN):
        return principal.company_id if principal.company_id is not None else NO_COMPANY
    if principal.role is Role.USER_UNIT:
        return NO_COMPANY  # a user unit sees its elevators through its own routes only
    return None


def ticket_book(request: Request) -> TicketBook:
    book = getattr(request.app.state, "ticket_book", None)
    if not isinstance(book, TicketBook):
        book = TicketBook()
        request.app.state.ticket_book = book
    return book


async def stream_principal(
    request: Request,
    token: Annotated[str | None, Depends(oauth2_scheme)],
    ticket: Annotated[
        str | None,
        Query(
            max_length=2000,
            description="a ticket from POST /api/v1/auth/sse-ticket (single use, valid for"
            " seconds), for EventSource clients that cannot send headers",
        ),
    ] = None,
    x_api_key: Annotated[str | None, Header()] = None,
) -> Principal:
    """Like :func:`get_principal`, also accepting ``?ticket=`` (SSE only; a long-lived
    token is never accepted in the URL, where logs and histories keep it).

    A stream lasts minutes: the caller is checked on a connection given back at once
    rather than on the request's, which would be held until the stream ends."""
    if not (token or ticket or x_api_key):
        raise _UNAUTHORIZED
    async with get_pool(request).connection() as conn:
        if token:
            return await _from_token(request, conn, token, ACCESS)
        if ticket:
            return await _from_token(request, conn, ticket, SSE_TICKET)
        if x_api_key:
            return await _from_api_key(conn, x_api_key)
    raise _UNAUTHORIZED


StreamPrincipal = Annotated[Principal, Depends(stream_principal)]
