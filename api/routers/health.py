"""Liveness and readiness: is the database reachable, is the broker connected."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request, Response, status
from pydantic import BaseModel

router = APIRouter(prefix="/api/v1", tags=["health"])


class Health(BaseModel):
    status: str
    database: str
    broker: str


@router.get("/health", response_model=Health)
async def health(request: Request, response: Response) -> Health:
    database = "connected"
    try:
        async with asyncio.timeout(2.0), request.app.state.pool.connection() as conn:
            await conn.execute("SELECT 1")
    except Exception as exc:
        database = f"unavailable: {type(exc).__name__}"
    publisher = request.app.state.publisher
    broker = "connected" if publisher is not None and publisher.connected else "disconnected"
    ok = database == "connected" and broker == "connected"
    if not ok:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return Health(status="ok" if ok else "degraded", database=database, broker=broker)
