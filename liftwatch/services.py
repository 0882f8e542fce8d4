"""Wiring: build each service of the system from the one settings object."""

from __future__ import annotations

from fastapi import FastAPI

from api.app import AppConfig, create_app
from liftwatch.settings import Settings


def build_app(settings: Settings) -> FastAPI:
    api = settings.api
    if api.expose_docs is None:  # the API docs are on in the demo, off otherwise
        api = api.model_copy(update={"expose_docs": settings.embedded})
    app = create_app(
        AppConfig(
            database_url=settings.require_database_url(),
            mqtt_url=settings.mqtt_url,
            jwt_secret=settings.jwt_secret(),
            api=api,
            detection=settings.detection,
            score=settings.score,
            dispatch=settings.dispatch,
            topic_root=settings.topic_root,
        )
    )
    app.state.hazard_settings = settings.hazards
    return app
