"""The FastAPI application factory and its lifespan (pool, MQTT publisher, live map).

The MQTT publisher is :class:`messaging.async_publisher.AsyncPublisher` (aiomqtt, on the
event loop); it is ``app.state.publisher`` for the health check and the dispatch routes.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from psycopg_pool import AsyncConnectionPool
from starlette.middleware.gzip import GZipMiddleware

from analytics.config import DetectionSettings
from api import errors, routers
from api.config import ApiSettings
from api.headers import (
    SecurityHeaders,
    content_security_policy,
    install_docs,
    security_headers,
)
from api.live import EventHub, MapKeeper
from maintenance.config import ScoreSettings
from messaging.async_publisher import AsyncPublisher
from rescue.config import DispatchSettings

log = logging.getLogger(__name__)

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]
STATIC_DIR = Path(__file__).parent / "static"
INITIAL_LOAD_TIMEOUT_S = 60.0


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


def leaflet_dir() -> Path | None:
    """Leaflet's files from the installed xstatic-leaflet package (no CDN)."""
    try:
        import xstatic.pkg.leaflet as leaflet
    except ImportError:
        return None
    return Path(leaflet.BASE_DIR)


async def _load_map(keeper: MapKeeper) -> None:
    try:
        async with asyncio.timeout(INITIAL_LOAD_TIMEOUT_S):
            await keeper.reload()
    except (TimeoutError, psycopg.Error, OSError) as exc:
        log.warning("map index not loaded at startup (%s); the periodic reload retries", exc)


def _lifespan(config: AppConfig) -> Lifespan:
    """Open the pool, the MQTT publisher and the live map for the app's lifetime."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool = AsyncConnectionPool(
            config.database_url, min_size=1, max_size=10, open=False,
            kwargs={"autocommit": True},
        )  # fmt: skip
        await pool.open(wait=False)
        publisher = AsyncPublisher(config.mqtt_url) if config.mqtt_url else None
        if publisher is not None:
            await publisher.start()
        keeper = MapKeeper(pool, config.api)
        hub = EventHub(config.database_url, keeper, config.api)
        app.state.pool = pool
        app.state.publisher = publisher
        app.state.map_keeper = keeper
        app.state.event_hub = hub
        await _load_map(keeper)
        await hub.start()
        # Everything allocated so far lives as long as the process: keep it out of the
        # cyclic collector's full passes (they cost ~50 ms with a large heap, a latency
        # spike every few dozen map requests).
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            await hub.stop()
            if publisher is not None:
                await publisher.stop()
            await pool.close()

    return lifespan


def _document_problems(app: FastAPI) -> None:
    """Add the problem details schemas (the one error shape) to the OpenAPI document."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = generate()
            schemas = document.setdefault("components", {}).setdefault("schemas", {})
            schemas.update(errors.problem_schemas())
            errors.document_problem_bodies(document)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def create_app(config: AppConfig) -> FastAPI:
    # /docs and /openapi.json: ApiSettings.expose_docs (None here: on; the entry point
    # decides None as "on in the demo only", see liftwatch/services.py).
    expose_docs = config.api.expose_docs is not False
    openapi_url = "/openapi.json" if expose_docs else None
    app = FastAPI(
        title="liftwatch",
        version="0.1.0",
        description=(
            "Elevator safety monitoring, 96333 rescue dispatch and on-demand maintenance."
            " Authenticate with a bearer token (POST /api/v1/auth/token) or an X-API-Key"
            " header."
        ),
        lifespan=_lifespan(config),
        openapi_url=openapi_url,
        docs_url=None,
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
    )
    if openapi_url is not None:
        install_docs(app, openapi_url)
        _document_problems(app)
    app.state.config = config
    app.state.jwt_secret = config.jwt_secret
    errors.install(app)
    # Map responses at street level are a few hundred kB of JSON; gzip cuts them ~10x.
    # Server-Sent Events (text/event-stream) are excluded by Starlette's defaults.
    app.add_middleware(GZipMiddleware, minimum_size=4096, compresslevel=5)
    # Outermost: every response gets the security headers, errors of the app included.
    headers = security_headers(content_security_policy(config.api.tile_url))
    app.state.security_headers = headers  # also on the 500s of api.errors._unexpected
    app.add_middleware(SecurityHeaders, headers=headers)
    for router in routers.all_routers():
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    vendor = leaflet_dir()
    if vendor is not None:
        app.mount("/vendor/leaflet", StaticFiles(directory=vendor), name="leaflet")
    return app
