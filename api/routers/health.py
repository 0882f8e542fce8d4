"""Liveness and readiness: is the database reachable, is the broker connected."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status
from pydantic import BaseModel

from api.errors import model_response
from messaging.async_publisher import AsyncPublisher
from storage.health import database_state

router = APIRouter(prefix="/api/v1", tags=["health"])


class Health(BaseModel):
    status: str
    database: str
    broker: str


@router.get(
    "/health",
    response_model=Health,
    responses=model_response(503, Health, "Degraded: database or broker down"),
)
async def health(request: Request, response: Response) -> Health:
    database = await database_state(request.app.state.pool)
    publisher: AsyncPublisher | None = request.app.state.publisher
    broker = "connected" if publisher is not None and publisher.connected else "disconnected"
    ok = database == "connected" and broker == "connected"
    if not ok:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return Health(status="ok" if ok else "degraded", database=database, broker=broker)
