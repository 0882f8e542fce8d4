"""Settings of the ingest service (part of :class:`liftwatch.settings.Settings`)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class IngestSettings(BaseModel):
    client_id: str = "liftwatch-ingest"
    batch_size: int = Field(5000, ge=1, le=100_000)
    batch_interval_s: float = Field(0.05, gt=0, le=10)
    max_payload_bytes: int = Field(16_384, ge=256)
    dead_letter_payload_bytes: int = Field(4_096, ge=0)
    max_future_s: float = Field(300.0, ge=0)
    max_past_s: float = Field(7 * 86_400.0, gt=0)
    heartbeat_intervals: float = Field(3.0, gt=0)
    metrics_port: int = Field(9108, ge=0, le=65535)
