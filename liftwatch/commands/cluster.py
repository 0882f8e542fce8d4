"""The cluster mode's processes: `liftwatch ingest` as a storer (when
LIFTWATCH_CLUSTER__AMQP_URL is set) and `liftwatch detector` (a detector worker)."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import threading
from types import FrameType

import typer

from liftwatch.settings import Settings, load_settings


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    return stop


def run_storer(settings: Settings) -> None:
    """Store and forward: the ingest core with the stream as its second feed."""
    from ingest.cluster.forwarder import StreamForwarder
    from ingest.service import IngestService

    forwarder = StreamForwarder(settings.cluster, settings.ingest.client_id)
    service = IngestService(
        settings.ingest,
        settings.require_database_url(),
        settings.require_mqtt_url(),
        topic_root=settings.topic_root,
        forwarder=forwarder,
        share_group=settings.cluster.share_group,
    )
    stop = _stop_on_signals()
    try:
        service.run_until(stop)
    finally:
        forwarder.close()
    if service.failed:
        raise typer.Exit(1)


def detector_cmd(
    worker_id: str = typer.Option(
        "", "--id", help="Stable member id (a restarted worker gets its partitions back)."
    ),
) -> None:
    """A detector worker of the cluster: owns partitions of the stream until SIGINT/SIGTERM."""
    from ingest.cluster.detector_worker import DetectorWorker
    from ingest.detect_stage import DetectStage
    from messaging.client import Publisher

    settings = load_settings()
    if not settings.cluster.amqp_url:
        raise typer.BadParameter("LIFTWATCH_CLUSTER__AMQP_URL is not set")
    database_url = settings.require_database_url()
    mqtt_url = settings.require_mqtt_url()
    member = worker_id or settings.cluster.worker_id or f"detector-{socket.gethostname()}"
    publisher = Publisher(mqtt_url, f"liftwatch-{member}-notify-{os.getpid()}")
    recovery = settings.ingest.recovery.model_copy(update={"checkpoint": member})
    stage = DetectStage(settings.detection, database_url, publisher, recovery=recovery)
    worker = DetectorWorker(settings.cluster, stage, database_url, member)
    stop = _stop_on_signals()
    publisher.start(wait_s=5)
    stage.start(recover=False)  # each partition is restored when it is taken over

    async def _run() -> None:
        done = asyncio.Event()
        loop = asyncio.get_running_loop()
        threading.Thread(target=lambda: (stop.wait(), loop.call_soon_threadsafe(done.set))).start()
        await worker.run(done)

    try:
        asyncio.run(_run())
    finally:
        stage.stop()
        publisher.stop()
