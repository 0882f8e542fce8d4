"""Settings of the ingest service (part of :class:`liftwatch.settings.Settings`)."""

from __future__ import annotations

from pydantic import BaseModel, Field

# Room around a PUBLISH's payload for the fixed header (<= 5), topic (<= ~200 for our
# topics), packet id and MQTT 5 properties: the broker's ``max_packet_size`` is
# ``max_payload_bytes + MQTT_PACKET_OVERHEAD`` (17408 by default).
MQTT_PACKET_OVERHEAD = 1024


class RecoverySettings(BaseModel):
    """How the detectors behind ingest recover after a crash (``docs/detection.md``)."""

    # This runner's checkpoint (one per ingest process or detector worker).
    checkpoint: str = Field("ingest", min_length=1, max_length=200)
    # Replay from the checkpoint minus this (longer than the longest rule's timer).
    horizon_s: float = Field(600.0, ge=60)
    # Never replay more than this (after a long stop the oldest part is skipped).
    max_replay_s: float = Field(3_600.0, ge=60)
    # The checkpoint is saved at most this often.
    save_every_s: float = Field(1.0, gt=0)
    # The detectors' learned sensor health is loaded before a replay and saved
    # (table sensor_health) this often, on a clean stop and when elevators are handed over.
    health: bool = True
    health_save_every_s: float = Field(60.0, gt=0)


class IngestSettings(BaseModel):
    client_id: str = "liftwatch-ingest"
    batch_size: int = Field(5000, ge=1, le=100_000)
    batch_interval_s: float = Field(0.05, gt=0, le=10)
    # The largest accepted payload. The broker's ``max_packet_size`` is this plus
    # MQTT_PACKET_OVERHEAD (one number: see docs/operations.md, "Bounds and retention").
    max_payload_bytes: int = Field(16_384, ge=256)
    dead_letter_payload_bytes: int = Field(4_096, ge=0)
    max_future_s: float = Field(300.0, ge=0)
    max_past_s: float = Field(7 * 86_400.0, gt=0)
    heartbeat_intervals: float = Field(3.0, gt=0)
    metrics_port: int = Field(9108, ge=0, le=65535)
    # Messages received but not yet committed, bounded in count and in payload bytes;
    # when either is reached, the MQTT reader waits (it stops reading the socket, nothing
    # more is acknowledged, the broker holds the rest) until a commit frees room.
    max_buffer: int = Field(50_000, ge=100)
    max_buffer_bytes: int = Field(64 * 1024 * 1024, ge=65_536)
    # An unknown terminal id reloads the elevator registry at most this often.
    registry_refresh_s: float = Field(5.0, gt=0)
    # Database reconnect backoff (doubling from min to max).
    retry_min_s: float = Field(0.2, gt=0)
    retry_max_s: float = Field(5.0, gt=0)
    keepalive_s: int = Field(30, ge=5)
    # A batch whose median event-time lag exceeds this means ingest is working through a
    # backlog: heartbeat timeouts wait until it has caught up.
    backlog_lag_s: float = Field(10.0, gt=0)
    # Presence changes written per commit (alarms, live events); more wait for the next.
    max_presence_per_batch: int = Field(5_000, ge=1)
    # Daily telemetry partitions are ensured at start and this often.
    partition_check_s: float = Field(3_600.0, gt=0)
    recovery: RecoverySettings = RecoverySettings()

    @property
    def max_packet_bytes(self) -> int:
        """The broker's ``max_packet_size`` that matches ``max_payload_bytes``."""
        return self.max_payload_bytes + MQTT_PACKET_OVERHEAD
