"""Typed FastAPI dependencies: settings, database connection, the calling principal.

A request takes at most one connection from the pool, on first use (the route's ``Db``
or an API-key lookup, whichever comes first) and gives it back when the request ends; a
request authenticated by a token that touches no table takes none.
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
from api.security import InvalidToken, Principal, Role, decode_token

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
    detail="not authenticated: send a bearer token or an X-API-Key header",
    headers={"WWW-Authenticate": "Bearer"},
)


def _from_token(request: Request, token: str) -> Principal:
    try:
        return decode_token(request.app.state.jwt_secret, token)
    except InvalidToken:
        raise _UNAUTHORIZED from None


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
        return _from_token(request, token)
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
                detail=f"role {principal.role} may not use this endpoint",
            )
        return principal

    return check


NO_COMPANY = -1  # matches no elevator: a company principal without a company sees nothing


def company_scope(principal: Principal) -> int | None:
    """The company whose data alone the caller may see, or None for every company."""
    if principal.role in (Role.COMPANY, Role.TECHNICIAN):
        return principal.company_id if principal.company_id is not None else NO_COMPANY
    return None


async def principal_from_query(
    request: Request,
    token: Annotated[str | None, Depends(oauth2_scheme)],
    access_token: Annotated[
        str | None,
        Query(description="the bearer token, for EventSource clients that cannot set headers"),
    ] = None,
    x_api_key: Annotated[str | None, Header()] = None,
) -> Principal:
    """Like :func:`get_principal`, also accepting ``?access_token=`` (SSE only).

    A stream lasts minutes: an API key is checked on a connection given back at once
    rather than on the request's, which would be held until the stream ends."""
    if access_token and not token:
        token = access_token
    if token:
        return _from_token(request, token)
    if x_api_key:
        async with get_pool(request).connection() as conn:
            return await _from_api_key(conn, x_api_key)
    raise _UNAUTHORIZED


StreamPrincipal = Annotated[Principal, Depends(principal_from_query)]
