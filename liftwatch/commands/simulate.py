"""`liftwatch simulate`: generate the synthetic fleet, publish simulated terminals."""

from __future__ import annotations

import json
import time
from pathlib import Path

import psycopg
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from domain.fleet import Fleet
from fleet.repository import fleet_size, load_fleet, save_fleet
from liftwatch.settings import Settings, load_settings
from simulators.fleet import generate_fleet
from simulators.fleetfile import write_fleet
from simulators.publisher import PublishStats, ScenarioPublisher, clock_start_ms, paced_window_s
from simulators.scenario import ScenarioConfig

console = Console(stderr=True)
ACCELERATED_SPEED = 10.0  # from this speed on, the periodic status interval defaults to 60 s


def fleet_cmd(
    elevators: int = typer.Option(2000, "--elevators", "-n", min=1, help="Fleet size."),
    seed: int = typer.Option(1, help="Random seed (same seed, same fleet)."),
    out: Path | None = typer.Option(None, help="Write the fleet to this file (.json or .msgpack)."),
    save: bool = typer.Option(True, "--save/--no-save", help="Save to LIFTWATCH_DATABASE_URL."),
) -> None:
    """Generate a synthetic Guangzhou fleet; save it to the database and/or a file."""
    settings = load_settings()
    t0 = time.perf_counter()
    fleet = generate_fleet(elevators, seed)
    gen_s = time.perf_counter() - t0
    console.print(
        f"generated {len(fleet.elevators)} elevators, {len(fleet.companies)} companies,"
        f" {len(fleet.user_units)} user units, {len(fleet.stations)} stations,"
        f" {len(fleet.rescuers)} rescuers in {gen_s:.2f} s"
    )
    if out is not None:
        console.print(f"wrote {write_fleet(out, fleet)}")
    if save:
        with psycopg.connect(settings.require_database_url()) as conn:
            t1 = time.perf_counter()
            save_fleet(conn, fleet)
            console.print(f"saved to the database in {time.perf_counter() - t1:.2f} s")


def _fleet_for_run(settings: Settings, elevators: int, seed: int) -> Fleet:
    """The registered fleet (its first N elevators), generated and saved if there is none."""
    if not settings.database_url:
        console.print("[yellow]LIFTWATCH_DATABASE_URL not set: fleet generated, not saved[/]")
        return generate_fleet(elevators, seed)
    with psycopg.connect(settings.database_url) as conn:
        if fleet_size(conn) == 0:
            fleet = generate_fleet(elevators, seed)
            save_fleet(conn, fleet)
            console.print(f"no fleet registered: generated and saved {elevators} (seed {seed})")
            return fleet
        fleet = load_fleet(conn)
    if len(fleet.elevators) > elevators:
        fleet = Fleet(
            companies=fleet.companies,
            user_units=fleet.user_units,
            elevators=fleet.elevators[:elevators],
            stations=fleet.stations,
            rescuers=fleet.rescuers,
        )
    return fleet


def run_cmd(
    elevators: int = typer.Option(2000, "--elevators", "-n", min=1),
    speed: float = typer.Option(1.0, min=0.01, help="Time compression (60: an hour a minute)."),
    seed: int = typer.Option(1),
    hours: float = typer.Option(1.0, min=0.001, help="Simulated hours to publish."),
    fault_scale: float = typer.Option(1.0, help="Multiplier on the risk model's fault rates."),
    evaluation: bool = typer.Option(False, help="Inject every fault and look-alike often."),
    status_interval: float | None = typer.Option(
        None,
        help="Periodic status interval in simulated s (default 5; 60 at speed >= 10)."
        " On-change samples are always published.",
    ),
    in_process: bool = typer.Option(
        False, "--in-process", help="Generate messages in the publishing process."
    ),
    topic_root: str | None = typer.Option(None, help="Topic root (default from settings)."),
) -> None:
    """Publish simulated terminals over MQTT (QoS 1, bounded in-flight window)."""
    settings = load_settings()
    url = settings.require_mqtt_url()
    fleet = _fleet_for_run(settings, elevators, seed)
    sim = settings.simulator
    if status_interval is None:
        fast = speed >= ACCELERATED_SPEED
        status_interval = sim.accelerated_status_interval_s if fast else sim.status_interval_s
    duration = hours * 3600.0
    cfg = ScenarioConfig(
        seed=seed,
        start_ms=clock_start_ms(duration, speed),
        duration_s=duration,
        status_interval_s=status_interval,
        fault_rate_scale=fault_scale,
        evaluation=evaluation,
        window_s=paced_window_s(speed),
    )
    pub = ScenarioPublisher(
        url,
        fleet,
        cfg,
        speed,
        topic_root or settings.topic_root,
        sim.inflight_window,
        generate_in_process=not in_process,
    )
    wall = time.monotonic()
    stats = _publish_with_progress(pub, cfg)
    summary = _run_summary(stats, cfg, time.monotonic() - wall)
    print(json.dumps({
        "elevators": len(fleet.elevators), "speed": speed, "hours": hours,
        "status_interval_s": status_interval, **summary,
    }))  # fmt: skip


def _publish_with_progress(pub: ScenarioPublisher, cfg: ScenarioConfig) -> PublishStats:
    """Run the publisher with a progress bar of simulated time; Ctrl-C stops it."""
    duration = cfg.duration_s
    with Progress(
        TextColumn("[bold]simulated"),
        BarColumn(),
        TextColumn("{task.percentage:>5.1f}%  {task.fields[info]}"),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        task = progress.add_task("sim", total=duration, info="")

        def report(st: PublishStats) -> None:
            done = max(0.0, (st.sim_ms - cfg.start_ms) / 1000.0)
            rate = st.published / st.elapsed_s if st.elapsed_s > 0 else 0.0
            info = f"{st.published} msgs ({st.events} events) {rate:,.0f}/s lag {st.lag_s:.1f} s"
            progress.update(task, completed=min(duration, done), info=info)

        try:
            return pub.run(report)
        except KeyboardInterrupt:
            pub.stop()
            return pub.stats


def _run_summary(stats: PublishStats, cfg: ScenarioConfig, wall_s: float) -> dict[str, object]:
    rate = stats.published / stats.elapsed_s if stats.elapsed_s else 0.0
    return {
        "published": stats.published, "status": stats.status, "events": stats.events,
        "simulated_s": round(max(0, stats.sim_ms - cfg.start_ms) / 1000.0, 1),
        "startup_s": round(stats.startup_s, 2), "elapsed_s": round(stats.elapsed_s, 2),
        "wall_s": round(wall_s, 2), "msg_per_s": round(rate, 1),
        "lag_s": round(stats.lag_s, 2), "max_lag_s": round(stats.max_lag_s, 2),
    }  # fmt: skip


def register(app: typer.Typer, groups: dict[str, typer.Typer]) -> None:
    groups["simulate"].command("fleet")(fleet_cmd)
    groups["simulate"].command("run")(run_cmd)
