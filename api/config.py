"""Settings of the API service."""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr


class LoginSettings(BaseModel):
    """Login throttling (api/login_guard.py, docs/api.md): per user name and per client
    address token buckets, and a lockout of a name after consecutive failures."""

    name_burst: int = Field(5, ge=1)
    name_per_min: float = Field(10.0, gt=0)
    address_burst: int = Field(30, ge=1)
    address_per_min: float = Field(60.0, gt=0)
    lockout_after: int = Field(5, ge=1)  # consecutive failures of one name
    lockout_s: float = Field(30.0, gt=0)  # then doubled per further failure
    lockout_max_s: float = Field(900.0, gt=0)
    max_entries: int = Field(100_000, ge=100)  # names / addresses remembered


class ApiSettings(BaseModel):
    host: str = "127.0.0.1"
    # /docs (Swagger UI) and /openapi.json. None: on in the demo (`liftwatch demo`), off
    # in `liftwatch serve`; true/false forces it (LIFTWATCH_API__EXPOSE_DOCS).
    expose_docs: bool | None = None
    port: int = Field(8000, ge=0, le=65535)
    jwt_secret: SecretStr | None = None
    token_minutes: int = Field(720, gt=0)
    tile_url: str = ""  # empty: draw district outlines from shipped data, no basemap
    tile_crs: str = "wgs84"  # "gcj02" when the configured basemap is a Chinese one
    tile_attribution: str = ""
    page_size_max: int = Field(500, ge=1, le=500)  # api.pagination.PAGE_SIZE_LIMIT
    # The one map: grid clustering on the server (see docs/api.md).
    map_cell_px: int = Field(64, ge=8, le=512)  # cluster grid cell, in screen pixels
    map_points_zoom: int = Field(16, ge=0, le=22)  # from this zoom, single elevators
    map_points_max: int = Field(3000, ge=1)  # more than this in view: clusters anyway
    map_reload_s: float = Field(60.0, gt=0)  # full reload of the in-memory index
    high_risk_grades: str = "D"  # score grades drawn as "high risk"
    sse_keepalive_s: float = Field(15.0, gt=0)
    # A stream ends after this long and the browser reconnects (EventSource retry): a
    # server shutdown never waits longer than this for open streams.
    sse_max_s: float = Field(300.0, gt=0)
    # Live-event streams: an SSE ticket lives this long; streams are capped per user (429)
    # and in total (503); a reader that does not take a write within sse_send_timeout_s,
    # or falls sse_queue_size events behind, is dropped (docs/api.md).
    sse_ticket_s: int = Field(30, ge=1, le=600)
    sse_max_streams: int = Field(1000, ge=1)
    sse_max_streams_per_user: int = Field(5, ge=1)
    sse_send_timeout_s: float = Field(10.0, gt=0)
    sse_queue_size: int = Field(1000, ge=1)
    login: LoginSettings = Field(default_factory=LoginSettings)
    telemetry_max_samples: int = Field(2000, ge=1, le=2000)  # the documented bound
