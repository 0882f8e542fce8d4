"""The FastAPI application factory and its lifespan (pool, MQTT publisher)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field

from fastapi import FastAPI
from psycopg_pool import AsyncConnectionPool

from analytics.config import DetectionSettings
from api import routers
from api.config import ApiSettings
from maintenance.config import DispatchSettings, ScoreSettings
from messaging.client import Publisher

log = logging.getLogger(__name__)

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


@dataclass(frozen=True)
class AppConfig:
    """What the API needs from the composition root, passed in explicitly."""

    database_url: str
    mqtt_url: str | None
    jwt_secret: str
    api: ApiSettings = field(default_factory=ApiSettings)
    detection: DetectionSettings = field(default_factory=DetectionSettings)
    score: ScoreSettings = field(default_factory=ScoreSettings)
    dispatch: DispatchSettings = field(default_factory=DispatchSettings)
    topic_root: str = "liftwatch/v1"


def create_app(config: AppConfig) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool = AsyncConnectionPool(
            config.database_url,
            min_size=1,
            max_size=10,
            open=False,
            kwargs={"autocommit": True},
        )
        await pool.open(wait=False)
        publisher = Publisher(config.mqtt_url, "") if config.mqtt_url else None
        if publisher is not None:
            publisher.start(wait_s=0)
        app.state.pool = pool
        app.state.publisher = publisher
        try:
            yield
        finally:
            if publisher is not None:
                publisher.stop()
            await pool.close()

    app = FastAPI(
        title="liftwatch",
        version="0.1.0",
        description="Elevator safety monitoring, 96333 rescue dispatch and on-demand maintenance.",
        lifespan=lifespan,
    )
    app.state.config = config
    app.state.jwt_secret = config.jwt_secret
    for router in routers.all_routers():
        app.include_router(router)
    return app
