"""Typed FastAPI dependencies: settings, database connection, the calling principal."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Header, HTTPException, Query, Request, status
from fastapi.security import OAuth2PasswordBearer
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from api.security import InvalidToken, Principal, Role, decode_token, hash_api_key

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


def get_pool(request: Request) -> AsyncConnectionPool:
    pool: AsyncConnectionPool = request.app.state.pool
    return pool


async def get_conn(request: Request) -> AsyncIterator[AsyncConnection]:
    async with get_pool(request).connection() as conn:
        yield conn


Db = Annotated[AsyncConnection, Depends(get_conn)]

_UNAUTHORIZED = HTTPException(
    status_code=status.HTTP_401_UNAUTHORIZED,
    detail="not authenticated: send a bearer token or an X-API-Key header",
    headers={"WWW-Authenticate": "Bearer"},
)


async def get_principal(
    request: Request,
    token: Annotated[str | None, Depends(oauth2_scheme)],
    x_api_key: Annotated[str | None, Header()] = None,
) -> Principal:
    if token:
        try:
            return decode_token(request.app.state.jwt_secret, token)
        except InvalidToken:
            raise _UNAUTHORIZED from None
    if x_api_key:
        async with get_pool(request).connection() as conn:
            cur = await conn.execute(
                "SELECT id, name, role, company_id, rescuer_id FROM api_keys"
                " WHERE key_hash = %s AND revoked_at IS NULL",
                (hash_api_key(x_api_key),),
            )
            row = await cur.fetchone()
        if row is not None:
            return Principal(
                subject=f"api-key:{row[1]}",
                role=Role(row[2]),
                company_id=row[3],
                rescuer_id=row[4],
            )
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
    if principal.role is Role.COMPANY:
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
    """Like :func:`get_principal`, also accepting ``?access_token=`` (SSE only)."""
    if access_token and not token:
        token = access_token
    return await get_principal(request, token, x_api_key)


StreamPrincipal = Annotated[Principal, Depends(principal_from_query)]
