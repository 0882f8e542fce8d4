"""The one settings object, built from the environment (prefix ``LIFTWATCH_``) in the
entry point and passed down. Nested sections use ``__``: ``LIFTWATCH_INGEST__BATCH_SIZE``.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from analytics.config import DetectionSettings
from api.config import ApiSettings
from hazards.config import HazardSettings
from ingest.cluster.config import ClusterSettings
from ingest.config import IngestSettings
from maintenance.config import ScoreSettings
from messaging.client import MqttEndpoint
from rescue.config import DispatchSettings
from simulators.config import SimulatorSettings
from storage.config import RetentionSettings


class SettingsError(ValueError):
    """The configuration is unusable (missing secret, malformed URL)."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="LIFTWATCH_", env_nested_delimiter="__", extra="ignore"
    )

    database_url: str | None = None
    mqtt_url: str | None = None
    mqtt_admin_url: str | None = None  # dynsec admin ($CONTROL) for `liftwatch terminals`
    data_dir: Path = Path(".liftwatch")
    timescale: Literal["auto", "on", "off"] = "auto"
    telemetry_retention_days: int = Field(90, ge=1)
    retention: RetentionSettings = RetentionSettings()  # dead letters, webhooks, events
    topic_root: str = "liftwatch/v1"
    log_level: str = "INFO"
    embedded: bool = False  # set by `liftwatch demo`; relaxes the secret rules

    ingest: IngestSettings = IngestSettings()
    detection: DetectionSettings = DetectionSettings()
    score: ScoreSettings = ScoreSettings()
    dispatch: DispatchSettings = DispatchSettings()
    simulator: SimulatorSettings = SimulatorSettings()
    api: ApiSettings = ApiSettings()
    hazards: HazardSettings = HazardSettings()
    cluster: ClusterSettings = ClusterSettings()

    @field_validator("database_url")
    @classmethod
    def _normalise_db_url(cls, v: str | None) -> str | None:
        if v is None or v == "":
            return None
        if v.startswith("postgres://"):
            v = "postgresql://" + v[len("postgres://") :]
        if not v.startswith("postgresql://"):
            raise ValueError("LIFTWATCH_DATABASE_URL must be a postgresql:// URL")
        return v

    @field_validator("mqtt_url")
    @classmethod
    def _check_mqtt_url(cls, v: str | None) -> str | None:
        if v is None or v == "":
            return None
        MqttEndpoint.parse(v)
        return v

    def require_database_url(self) -> str:
        if not self.database_url:
            raise SettingsError("LIFTWATCH_DATABASE_URL is not set")
        return self.database_url

    def require_mqtt_url(self) -> str:
        if not self.mqtt_url:
            raise SettingsError("LIFTWATCH_MQTT_URL is not set")
        return self.mqtt_url

    def require_mqtt_admin_url(self) -> str:
        if not self.mqtt_admin_url:
            raise SettingsError("LIFTWATCH_MQTT_ADMIN_URL is not set")
        MqttEndpoint.parse(self.mqtt_admin_url)
        return self.mqtt_admin_url

    def jwt_secret(self) -> str:
        """The token-signing secret; only the embedded demo may run without one."""
        if self.api.jwt_secret is not None and self.api.jwt_secret.get_secret_value():
            secret = self.api.jwt_secret.get_secret_value()
            if len(secret) < 32:
                raise SettingsError("LIFTWATCH_API__JWT_SECRET must be at least 32 characters")
            return secret
        if not self.embedded:
            raise SettingsError("LIFTWATCH_API__JWT_SECRET must be set outside the embedded demo")
        return self._demo_secret()

    def _demo_secret(self) -> str:
        path = self.data_dir / "demo-jwt-secret"
        if path.exists():
            return path.read_text().strip()
        path.parent.mkdir(parents=True, exist_ok=True)
        secret = secrets.token_urlsafe(48)
        path.write_text(secret)
        path.chmod(0o600)
        return secret

    def with_services(self, database_url: str, mqtt_url: str) -> Settings:
        return self.model_copy(update={"database_url": database_url, "mqtt_url": mqtt_url})


def load_settings() -> Settings:
    return Settings()


__all__ = ["SecretStr", "Settings", "SettingsError", "load_settings"]
