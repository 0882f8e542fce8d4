"""`liftwatch dispatch` (the rescue dispatch service) and `liftwatch eval dispatch`."""

from __future__ import annotations

import importlib.util
import signal
import threading
from pathlib import Path

import typer
from rich.console import Console

from liftwatch.settings import load_settings

console = Console(stderr=True)


def dispatch_cmd() -> None:
    """Run 96333 rescue dispatch: alarms -> cases -> tiered offers, SLA, webhooks."""
    from messaging.client import Publisher
    from rescue.service import DispatchService

    settings = load_settings()
    publisher = Publisher(settings.mqtt_url, "") if settings.mqtt_url else None
    if publisher is not None:
        publisher.start(wait_s=5)
    service = DispatchService(settings.require_database_url(), settings.dispatch,
                              publisher=publisher)  # fmt: skip
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    service.start()
    console.print("dispatch running (Ctrl-C stops)")
    try:
        done.wait()
    except KeyboardInterrupt:
        pass
    finally:
        service.stop()
        if publisher is not None:
            publisher.stop()


def eval_dispatch_cmd(
    elevators: int = typer.Option(20000, help="Fleet size of the simulated city."),
    entrapments: int = typer.Option(150, help="Entrapments over the simulated day."),
    seed: int = typer.Option(7, help="Random seed (fleet, calls, agents)."),
    latency_samples: int = typer.Option(40, help="Alarms timed in real time."),
) -> None:
    """Simulated city day through the real engine: tiered dispatch vs own-company baseline."""
    path = Path(__file__).resolve().parents[2] / "bench" / "dispatch.py"
    spec = importlib.util.spec_from_file_location("liftwatch_bench_dispatch", path)
    if spec is None or spec.loader is None:
        raise typer.BadParameter(f"benchmark script not found: {path}")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    bench.main(
        elevators=elevators, entrapments=entrapments, seed=seed, latency_samples=latency_samples
    )


def register(app: typer.Typer, groups: dict[str, typer.Typer]) -> None:
    app.command("dispatch")(dispatch_cmd)
    groups["eval"].command("dispatch")(eval_dispatch_cmd)
