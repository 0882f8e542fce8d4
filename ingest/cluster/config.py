"""Settings of the cluster mode (part of :class:`liftwatch.settings.Settings`).

The cluster mode is on when ``amqp_url`` is set (``LIFTWATCH_CLUSTER__AMQP_URL``): a
comma-separated list of the RabbitMQ nodes' AMQP URLs, tried in turn."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ClusterSettings(BaseModel):
    amqp_url: str | None = None
    # MQTT shared-subscription group of the storers ($share/<group>/<root>/#); empty: a
    # plain subscription (one storer).
    share_group: str = Field("liftwatch-ingest", max_length=100)
    exchange: str = Field("liftwatch.detect", min_length=1, max_length=200)
    queue_prefix: str = Field("liftwatch.detect.", min_length=1, max_length=200)
    members_exchange: str = Field("liftwatch.detect.members", min_length=1, max_length=200)
    # Durable quorum queues (partitions) behind the consistent-hash exchange. Changing it
    # on a running cluster moves elevators between partitions.
    partitions: int = Field(8, ge=1, le=256)
    # Elevators are grouped into buckets (elevator_id mod buckets) and the bucket number is
    # the routing key: one AMQP message per bucket per batch, all of an elevator's samples
    # always in the same partition. Fewer buckets: fewer, larger AMQP messages (the
    # quorum queues cost CPU per message, not per byte); at least a few per partition.
    buckets: int = Field(64, ge=1, le=65_536)
    # Deliveries a detector worker holds unacknowledged per partition.
    prefetch: int = Field(64, ge=1, le=10_000)
    # Members announce themselves this often; one not heard for member_timeout_s is gone.
    heartbeat_s: float = Field(0.5, gt=0, le=60)
    member_timeout_s: float = Field(2.0, gt=0, le=600)
    # A worker taking a partition over replays this much stored telemetry of its elevators
    # (at least the longest rule window: entrapment, door cycles).
    restore_window_s: float = Field(330.0, gt=0)
    # Publisher confirms of one batch must arrive within this, else the batch is retried.
    confirm_timeout_s: float = Field(15.0, gt=0)
    connect_timeout_s: float = Field(3.0, gt=0)
    # A detector worker touches this file on every heartbeat while connected (container
    # healthchecks); empty: none.
    alive_file: str = Field("", max_length=500)
    worker_id: str = Field("", max_length=100)  # default: detector-<hostname>-<pid>

    def urls(self) -> list[str]:
        return [u.strip() for u in (self.amqp_url or "").split(",") if u.strip()]
