"""Settings of the API service."""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr


class ApiSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    jwt_secret: SecretStr | None = None
    token_minutes: int = Field(720, gt=0)
    tile_url: str = ""  # empty: draw district outlines from shipped data, no basemap
    tile_crs: str = "wgs84"  # "gcj02" when the configured basemap is a Chinese one
    page_size_max: int = Field(500, ge=1)
