"""Whether the database answers: a round trip on a pooled connection."""

from __future__ import annotations

import asyncio

import psycopg
from psycopg_pool import AsyncConnectionPool, PoolTimeout


async def database_state(pool: AsyncConnectionPool, timeout_s: float = 2.0) -> str:
    """``connected``, or ``unavailable: <error class>`` when no round trip succeeds in time."""
    try:
        async with asyncio.timeout(timeout_s), pool.connection() as conn:
            await conn.execute("SELECT 1")
    except (TimeoutError, PoolTimeout, psycopg.Error, OSError) as exc:
        return f"unavailable: {type(exc).__name__}"
    return "connected"
