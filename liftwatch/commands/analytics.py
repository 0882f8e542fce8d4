"""`liftwatch analyze <export>` (per channel of a real export: mangled cells counted,
change points in level and variance, slow degradation, anomalous segments) and
`liftwatch db condition` (the fleet's condition index now: :mod:`maintenance.condition`).
Reading the file: :mod:`liftwatch.exports`; the analysis: :mod:`analytics.anomaly` and
:mod:`analytics.changepoints` (pure)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import msgspec
import numpy as np
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from liftwatch.exports import ChannelColumn, Export, ExportError, read_export

if TYPE_CHECKING:
    from analytics.anomaly import ChannelReport
    from analytics.changepoints import ChangeAnalysis, ChangePoint


@dataclass(frozen=True)
class ChannelResult:
    column: ChannelColumn
    report: ChannelReport
    changes: ChangeAnalysis


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="seconds")


def _when(export: Export, index: int) -> str:
    """The time of a row: ISO 8601 from a timestamp column, else seconds from the start."""
    ms = int(export.ts_ms[index])
    if export.time_source.startswith("column"):
        return _iso(ms)
    return f"{(ms - int(export.ts_ms[0])) / 1000:g} s"


def _number(x: float) -> float | None:
    return None if math.isnan(x) else round(x, 6)


def _change_json(export: Export, c: ChangePoint) -> dict[str, Any]:
    return {
        "index": c.index,
        "time": _when(export, c.index),
        "kind": c.kind,
        "before": {"mean": _number(c.before.mean), "std": _number(c.before.std)},
        "after": {"mean": _number(c.after.mean), "std": _number(c.after.std)},
    }


def _channel_json(export: Export, r: ChannelResult) -> dict[str, Any]:
    t = r.changes.trend
    return {
        "channel": r.column.name,
        "valid": r.column.valid,
        "invalid": r.column.invalid,
        "empty": r.column.empty,
        "unreadable": r.column.unreadable,
        "unreadable_examples": list(r.column.examples),
        "median": r.report.baseline.median,
        "sigma": r.report.baseline.sigma,
        "slope_per_day": r.report.slope_per_day,
        "change_points": [_change_json(export, c) for c in r.changes.change_points],
        "penalty": _number(r.changes.penalty),
        "trend": {
            "degradation": t.degradation,
            "direction": t.direction,
            "start": _number(t.start),
            "end": _number(t.end),
            "relative_change": _number(t.relative_change),
            "p_value": _number(t.p_value),
        },
        "segments": [
            {
                "start": _iso(s.start_ms),
                "end": _iso(s.end_ms),
                "points": s.points,
                "peak_z": s.peak_z,
                "direction": s.direction,
            }
            for s in r.report.segments
        ],
    }


def _as_json(path: Path, export: Export, results: list[ChannelResult]) -> dict[str, Any]:
    return {
        "file": str(path),
        "rows": export.rows,
        "delimiter": export.delimiter,
        "decimal_comma": export.decimal_comma,
        "time": export.time_source,
        "channels": [_channel_json(export, r) for r in results],
        "ignored_columns": export.ignored,
    }


def _trend_text(r: ChannelResult) -> str:
    t = r.changes.trend
    if not t.degradation:
        return "none"
    change = "" if math.isnan(t.relative_change) else f" {100 * t.relative_change:+.0f} %"
    return f"{t.direction}{change} ({t.start:.4g} -> {t.end:.4g})"


def _summary_table(path: Path, export: Export, results: list[ChannelResult]) -> Table:
    table = Table(
        title=escape(
            f"{path.name}: {export.rows} rows, delimiter {export.delimiter!r}"
            f"{', decimal comma' if export.decimal_comma else ''}, time = {export.time_source}"
        )
    )
    for col in ("channel", "valid", "empty", "unreadable", "median", "robust sigma",
                "change points", "slow trend", "anomalous segments"):  # fmt: skip
        table.add_column(col)
    for r in results:
        c = r.column
        bad = f"{c.unreadable}" + (f" ({', '.join(map(repr, c.examples))})" if c.examples else "")
        table.add_row(escape(c.name), str(c.valid), str(c.empty), escape(bad),
                      f"{r.report.baseline.median:.4g}", f"{r.report.baseline.sigma:.4g}",
                      str(len(r.changes.change_points)), _trend_text(r),
                      str(len(r.report.segments)))  # fmt: skip
    return table


def _changes_table(export: Export, r: ChannelResult) -> Table:
    table = Table(title=f"change points of {escape(r.column.name)}")
    for col in ("index", "time", "kind", "before: mean ± std", "after: mean ± std"):
        table.add_column(col)
    for c in r.changes.change_points:
        table.add_row(str(c.index), _when(export, c.index), c.kind,
                      f"{c.before.mean:.4g} ± {c.before.std:.3g}",
                      f"{c.after.mean:.4g} ± {c.after.std:.3g}")  # fmt: skip
    return table


def _segments_table(results: list[ChannelResult]) -> Table:
    table = Table(title="anomalous segments (robust z-score)")
    for col in ("channel", "start", "end", "points", "peak z", "direction"):
        table.add_column(col)
    for r in results:
        for s in r.report.segments:
            table.add_row(escape(r.column.name), _iso(s.start_ms), _iso(s.end_ms), str(s.points),
                          f"{s.peak_z:.1f}", s.direction)  # fmt: skip
    return table


def _print_tables(path: Path, export: Export, results: list[ChannelResult]) -> None:
    out = Console()
    out.print(_summary_table(path, export, results))
    for r in results:
        if r.changes.change_points:
            out.print(_changes_table(export, r))
    if any(r.report.segments for r in results):
        out.print(_segments_table(results))
    for name, why in export.ignored.items():
        out.print(escape(f"ignored column {name!r}: {why}"))


def analyze_export(export: Export, threshold: float, min_points: int) -> list[ChannelResult]:
    """Every channel of ``export`` in time order: baseline, segments, change points, trend."""
    from analytics.anomaly import analyze_series  # scipy, ruptures: imported when used
    from analytics.changepoints import detect_changes

    order = np.argsort(export.ts_ms, kind="stable")
    ts = export.ts_ms[order]
    results = []
    for column in export.channels:
        values = column.values[order]
        (report,) = analyze_series(ts, {column.name: values}, threshold, min_points)
        results.append(ChannelResult(column, report, detect_changes(values)))
    return results


def analyze_cmd(
    path: Annotated[
        Path, typer.Argument(help="export (CSV, semicolon or tab separated) of numeric channels")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="print JSON instead of tables")] = False,
    threshold: Annotated[float, typer.Option(help="robust z-score threshold")] = 4.0,
    min_points: Annotated[int, typer.Option(help="points for a segment")] = 3,
    time_column: Annotated[str | None, typer.Option(help="name of the timestamp column")] = None,
    interval: Annotated[
        float | None,
        typer.Option(help="seconds between rows, for a file without a timestamp column"),
    ] = None,
) -> None:
    """Per channel: valid and mangled cells, change points (level, variance) with the
    levels before and after, slow degradation, anomalous segments."""
    try:
        export = read_export(path, time_column, interval)
    except ExportError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from None
    results = analyze_export(export, threshold, max(1, min_points))
    if as_json:
        typer.echo(msgspec.json.encode(_as_json(path, export, results)).decode())
        return
    _print_tables(path, export, results)


def condition_cmd() -> None:
    """Compute the fleet's condition indices now (writes elevator_condition)."""
    from liftwatch.settings import load_settings
    from maintenance.condition import compute_fleet_condition

    n = compute_fleet_condition(load_settings().require_database_url())
    Console(stderr=True).print(f"condition index written for {n} elevators")


def register(app: typer.Typer, groups: dict[str, typer.Typer]) -> None:
    app.command("analyze")(analyze_cmd)
    groups["db"].command("condition")(condition_cmd)
