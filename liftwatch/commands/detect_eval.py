"""`liftwatch eval detect`: the detector evaluation (:mod:`evaluation.detection`) with a
table on stderr and one JSON line on stdout."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from analytics.evaluation import TypeScore
from evaluation.detection import DetectionEvaluation, false_alarms, run_evaluation, summary_json
from evaluation.sensor_sweep import SweepResult, run_sweep, sweep_json


def print_table(result: DetectionEvaluation, console: Console) -> None:
    ours, base = result.ours, result.baseline
    t = Table(title=f"detectors vs naive baseline, {result.elevator_days:g} elevator-days")
    for c in ("type", "faults", "alarms", "precision", "recall", "median s", "p95 s",
              "base prec", "base rec", "base false", "false on look-alikes"):  # fmt: skip
        t.add_column(c)
    for name in sorted(set(ours) | set(base)):
        o = ours.get(name, TypeScore())
        b = base.get(name, TypeScore())
        looks = ", ".join(f"{k} {v}" for k, v in sorted(o.on_lookalike.items()))
        t.add_row(
            name, str(o.faults), str(o.alarms), f"{o.precision:.3f}", f"{o.recall:.3f}",
            str(o.delay_s(50)), str(o.delay_s(95)), f"{b.precision:.3f}", f"{b.recall:.3f}",
            str(b.false_positives), looks,
        )  # fmt: skip
    console.print(t)
    console.print(
        f"false alarms: detectors {false_alarms(ours)}, baseline {false_alarms(base)}; "
        f"{result.samples:,} samples, detector throughput "
        f"{result.samples_per_s:,.0f} samples/s (generation {result.generate_s:.0f} s "
        f"CPU excluded)"
    )


def print_sweep(result: SweepResult, console: Console) -> None:
    t = Table(
        title=f"entrapment by sensor profile: {result.entrapments_per_cell} entrapments and "
        f"{result.lookalikes_per_cell} look-alikes per cell"
    )
    for c in ("presence/load/reporting", "precision", "recall", "median s", "p95 s",
              "false", "evidence clear/ambiguous/none", "recall (clear)", "recall + possible",
              "possible (on look-alikes)", "base prec", "base rec"):  # fmt: skip
        t.add_column(c)
    for cell in result.cells:
        s = cell.summary()
        b = s["baseline"]
        ev = s.get("evidence", {})
        clear = s.get("recall_clear")
        t.add_row(
            cell.name, f"{s['precision']:.3f}", f"{s['recall']:.3f}", str(s["median_delay_s"]),
            str(s["p95_delay_s"]), str(s["false_alarms"]),
            "/".join(str(ev.get(k, 0)) for k in ("clear", "ambiguous", "none")),
            "—" if clear is None else f"{clear:.3f}", f"{s['recall_with_possible']:.3f}",
            f"{s['possible_alarms']} ({s['possible_on_lookalikes']})", f"{b['precision']:.3f}",
            f"{b['recall']:.3f}",
        )  # fmt: skip
    console.print(t)
    console.print(
        f"{result.samples:,} delivered samples, detector throughput "
        f"{result.samples_per_s:,.0f} samples/s, {result.wall_s:.0f} s wall"
    )


def eval_detect_cmd(
    elevators: Annotated[int, typer.Option(help="simulated elevators")] = 1000,
    days: Annotated[float, typer.Option(help="simulated days per elevator")] = 2.0,
    seed: Annotated[int, typer.Option()] = 7,
    per_day: Annotated[float, typer.Option(help="episodes of each kind per elevator-day")] = 2.0,
    workers: Annotated[int, typer.Option(help="worker processes")] = 2,
    chunk_s: Annotated[int, typer.Option(help="replay chunk length (event-time s)")] = 3600,
    sensor_sweep: Annotated[
        bool, typer.Option("--sensor-sweep", help="entrapment per sensor profile instead")
    ] = False,
    sweep_elevators: Annotated[int, typer.Option(help="sweep: elevators per cell")] = 28,
    sweep_episodes: Annotated[
        int, typer.Option(help="sweep: entrapments (and look-alikes) per elevator")
    ] = 8,
    quick: Annotated[bool, typer.Option("--quick", help="sweep: a small run (tests)")] = False,
) -> None:
    """Precision, recall and delay per fault type for the detectors and the naive baseline
    (``--sensor-sweep``: entrapment for every presence model x load cell x reporting)."""
    if sensor_sweep:
        n, k = (3, 4) if quick else (sweep_elevators, sweep_episodes)
        sweep = run_sweep(n, k, seed, workers)
        print_sweep(sweep, Console(stderr=True, width=170))
        typer.echo(json.dumps(sweep_json(sweep)))
        return
    result = run_evaluation(elevators, days, seed, per_day, workers, chunk_s)
    print_table(result, Console(stderr=True, width=170))
    typer.echo(json.dumps(summary_json(result)))


def register(app: typer.Typer, groups: dict[str, typer.Typer]) -> None:
    groups["eval"].command("detect")(eval_detect_cmd)
