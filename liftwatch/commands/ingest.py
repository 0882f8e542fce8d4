"""`liftwatch ingest` (the MQTT ingest service) and `liftwatch bench ingest`."""

from __future__ import annotations

import importlib
import signal
import sys
import threading
from pathlib import Path
from types import FrameType, ModuleType

import typer

from liftwatch.settings import load_settings


def ingest_cmd() -> None:
    """Ingest terminal telemetry from MQTT into the database until SIGINT/SIGTERM.

    With LIFTWATCH_CLUSTER__AMQP_URL set this is a storer of the cluster: it shares the
    terminals' subscription with the other storers and forwards each committed batch to
    the detectors' stream (detection runs in `liftwatch detector` workers)."""
    from ingest.detect_stage import DetectStage
    from ingest.service import IngestService
    from messaging.client import Publisher

    settings = load_settings()
    database_url = settings.require_database_url()
    mqtt_url = settings.require_mqtt_url()
    if settings.cluster.amqp_url:
        from liftwatch.commands.cluster import run_storer

        run_storer(settings)
        return
    # The detectors run behind ingest and publish alarms to the companies' topics.
    publisher = Publisher(mqtt_url, f"{settings.ingest.client_id}-notify")
    detect = DetectStage(
        settings.detection, database_url, publisher, recovery=settings.ingest.recovery
    )
    service = IngestService(
        settings.ingest,
        database_url,
        mqtt_url,
        topic_root=settings.topic_root,
        consumers=[detect],
    )
    stop = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    publisher.start(wait_s=5)
    detect.start()
    try:
        service.run_until(stop)
    finally:
        detect.stop()
        publisher.stop()
    if service.failed:
        raise typer.Exit(1)


def bench_ingest_cmd(
    messages: int = typer.Option(200_000, "--messages", "-n", help="Status messages to publish."),
    terminals: int = typer.Option(250_000, "--terminals", "-m", help="Simulated terminals."),
    window: int = typer.Option(1_000, help="Publisher in-flight window (QoS 1)."),
    paho_publisher: bool = typer.Option(False, help="Publish with paho (slower generator)."),
    rate: float = typer.Option(10_000.0, help="Publish rate of the latency phase (0: skip it)."),
) -> None:
    """End-to-end ingest throughput, latency, bare-subscriber ratio and RSS (JSON last)."""
    bench = _load_bench("ingest")
    bench.run_bench(messages, terminals, window, paho_publisher, rate)


def _load_bench(name: str) -> ModuleType:
    """bench/ is a folder of scripts beside the packages (importable as the namespace
    package ``bench`` from the repository root), not an installed package."""
    root = str(Path(__file__).resolve().parents[2])
    if not (Path(root) / "bench" / f"{name}.py").exists():
        raise typer.BadParameter(f"benchmark script bench/{name}.py not found under {root}")
    if root not in sys.path:
        sys.path.insert(0, root)
    return importlib.import_module(f"bench.{name}")


def register(app: typer.Typer, groups: dict[str, typer.Typer]) -> None:
    from liftwatch.commands.cluster import detector_cmd

    app.command("ingest")(ingest_cmd)
    app.command("detector")(detector_cmd)
    groups["bench"].command("ingest")(bench_ingest_cmd)
