"""`liftwatch analyze <csv>` (anomalous segments of any timestamped channels) and
`liftwatch db condition` (the fleet's condition index now: :mod:`maintenance.condition`)."""

from __future__ import annotations

import csv
import logging
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import msgspec
import numpy as np
import numpy.typing as npt
import typer
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from analytics.anomaly import ChannelReport

log = logging.getLogger(__name__)
TIME_NAMES = ("ts", "timestamp", "time", "datetime", "date", "ts_ms", "t")


class CsvError(ValueError):
    """The CSV cannot be analysed (the message says why)."""


def _parse_time(values: list[str]) -> npt.NDArray[np.int64]:
    """Epoch seconds or milliseconds, or ISO 8601 date-times (UTC when no zone)."""
    try:
        nums = np.array([float(v) for v in values])
    except ValueError:
        nums = None
    if nums is not None:
        if not np.isfinite(nums).all():
            raise CsvError("the timestamp column has non-finite values")
        scale = 1.0 if np.nanmax(np.abs(nums)) > 1e11 else 1000.0  # ms vs s
        return (nums * scale).astype(np.int64)
    out = np.empty(len(values), np.int64)
    for i, v in enumerate(values):
        try:
            dt = datetime.fromisoformat(v.strip().replace("Z", "+00:00"))
        except ValueError as e:
            raise CsvError(f"row {i + 2}: cannot read timestamp {v!r}") from e
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=UTC)
        out[i] = int(dt.timestamp() * 1000)
    return out


def read_series_csv(
    path: Path, time_column: str | None = None
) -> tuple[npt.NDArray[np.int64], dict[str, npt.NDArray[np.float64]]]:
    """Timestamps and numeric channels of a CSV with a header row."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            rows = list(csv.reader(f))
    except (OSError, UnicodeDecodeError) as e:
        raise CsvError(f"cannot read {path}: {e}") from e
    except csv.Error as e:
        raise CsvError(f"{path} is not a valid CSV: {e}") from e
    if len(rows) < 2:
        raise CsvError(f"{path}: need a header row and at least one data row")
    header = [h.strip() for h in rows[0]]
    data = [r for r in rows[1:] if any(c.strip() for c in r)]
    if any(len(r) != len(header) for r in data):
        bad = next(i for i, r in enumerate(data) if len(r) != len(header))
        raise CsvError(
            f"{path}: data row {bad + 1} has {len(data[bad])} fields, header has {len(header)}"
        )
    if time_column is None:
        lower = [h.lower() for h in header]
        time_column = next((header[lower.index(n)] for n in TIME_NAMES if n in lower), None)
    if time_column is None or time_column not in header:
        raise CsvError(f"{path}: no timestamp column (name one of {', '.join(TIME_NAMES)})")
    ti = header.index(time_column)
    ts = _parse_time([r[ti] for r in data])
    channels: dict[str, npt.NDArray[np.float64]] = {}
    for j, name in enumerate(header):
        if j == ti:
            continue
        vals = np.empty(len(data))
        ok = True
        for i, r in enumerate(data):
            cell = r[j].strip()
            if cell == "":
                vals[i] = math.nan
                continue
            try:
                vals[i] = float(cell)
            except ValueError:
                ok = False
                break
        if ok and np.isfinite(vals).any():
            channels[name] = vals
    if not channels:
        raise CsvError(f"{path}: no numeric channel besides {time_column!r}")
    return ts, channels


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="seconds")


def _as_json(reports: list[ChannelReport]) -> dict[str, Any]:
    return {
        "channels": [
            {
                "channel": r.channel,
                "median": r.baseline.median,
                "sigma": r.baseline.sigma,
                "slope_per_day": r.slope_per_day,
                "segments": [
                    {
                        "start": _iso(s.start_ms),
                        "end": _iso(s.end_ms),
                        "points": s.points,
                        "peak_z": s.peak_z,
                        "direction": s.direction,
                    }
                    for s in r.segments
                ],
            }
            for r in reports
        ]
    }


def analyze_cmd(
    csv_path: Annotated[
        Path, typer.Argument(help="CSV with a timestamp column and numeric channels")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="print JSON instead of a table")] = False,
    threshold: Annotated[float, typer.Option(help="robust z-score threshold")] = 4.0,
    min_points: Annotated[int, typer.Option(help="points for a segment")] = 3,
    time_column: Annotated[str | None, typer.Option(help="name of the timestamp column")] = None,
) -> None:
    """Report anomalous segments (robust baseline, median/MAD) and trends per channel."""
    err = Console(stderr=True)
    try:
        ts, channels = read_series_csv(csv_path, time_column)
    except CsvError as e:
        err.print(f"[red]error:[/] {e}")
        raise typer.Exit(2) from None
    from analytics.anomaly import analyze_series  # scipy: imported when used

    reports = analyze_series(ts, channels, threshold, max(1, min_points))
    if as_json:
        typer.echo(msgspec.json.encode(_as_json(reports)).decode())
        return
    table = Table(title=f"anomalous segments in {csv_path.name} ({ts.size} rows)")
    for col in ("channel", "start", "end", "points", "peak z", "direction"):
        table.add_column(col)
    for r in reports:
        for s in r.segments:
            table.add_row(r.channel, _iso(s.start_ms), _iso(s.end_ms), str(s.points),
                          f"{s.peak_z:.1f}", s.direction)  # fmt: skip
    Console().print(table)
    trends = Table(title="baselines and trends")
    for col in ("channel", "median", "robust sigma", "slope / day", "segments"):
        trends.add_column(col)
    for r in reports:
        trends.add_row(r.channel, f"{r.baseline.median:.4g}", f"{r.baseline.sigma:.4g}",
                       f"{r.slope_per_day:.4g}", str(len(r.segments)))  # fmt: skip
    Console().print(trends)


def condition_cmd() -> None:
    """Compute the fleet's condition indices now (writes elevator_condition)."""
    from liftwatch.settings import load_settings
    from maintenance.condition import compute_fleet_condition

    n = compute_fleet_condition(load_settings().require_database_url())
    Console(stderr=True).print(f"condition index written for {n} elevators")


def register(app: typer.Typer, groups: dict[str, typer.Typer]) -> None:
    app.command("analyze")(analyze_cmd)
    groups["db"].command("condition")(condition_cmd)
