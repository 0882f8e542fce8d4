"""`liftwatch analyze` on files shaped like real exports, run as the command itself."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

ROWS = 6000
SHIFTS = (1100, 2400, 3700, 4900)
LEVELS = (0.20, 0.26, 0.18, 0.25, 0.21)
MANGLED = ("31. Jul", "", "N/A", "#WERT!")


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "liftwatch", "analyze", *args],
        env={**os.environ, "COLUMNS": "250"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _channels(rng: np.random.Generator) -> dict[str, np.ndarray]:
    vibration = np.empty(ROWS)
    edges = [0, *SHIFTS, ROWS]
    for level, a, b in zip(LEVELS, edges[:-1], edges[1:], strict=True):
        vibration[a:b] = rng.normal(level, 0.01, b - a)
    return {
        "Vibration [g]": vibration,
        "Türzeit [s]": np.linspace(5.0, 2.0, ROWS) + rng.normal(0.0, 0.15, ROWS),  # -60 %
        "Nivellierung [mm]": rng.normal(3.0, 0.4, ROWS),
    }


def _semicolon_export(path: Path, seed: int = 0) -> dict[str, int]:
    """A spreadsheet export: BOM, CRLF, ``;``, decimal commas, no timestamp, a text
    column, 1-5 % mangled cells per channel; returns the mangled count per channel."""
    rng = np.random.default_rng(seed)
    channels = _channels(rng)
    cells = {k: [f"{v:.4f}".replace(".", ",") for v in x] for k, x in channels.items()}
    counts = {}
    for name, column in cells.items():
        share = rng.uniform(0.01, 0.05)
        picked = rng.choice(ROWS, size=round(share * ROWS), replace=False)
        for i in picked.tolist():
            column[i] = MANGLED[i % len(MANGLED)]
        counts[name] = picked.size
    lines = [";".join([*cells, "Bemerkung"])]
    for i in range(ROWS):
        note = "Wartung" if i % 500 == 0 else "ok"
        lines.append(";".join([*(c[i] for c in cells.values()), note]))
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(lines).encode() + b"\r\n")
    return counts


def test_semicolon_export_with_decimal_commas_and_mangled_cells(tmp_path: Path) -> None:
    counts = _semicolon_export(path := tmp_path / "export.csv")
    res = _run(str(path), "--interval", "1", "--json")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["delimiter"] == ";"
    assert out["decimal_comma"] is True
    assert out["rows"] == ROWS
    assert out["time"] == "row number x 1 s"
    channels = {c["channel"]: c for c in out["channels"]}
    assert set(channels) == set(counts)  # every channel analysed, none dropped
    assert out["ignored_columns"] == {"Bemerkung": "text: 0 of 6000 non-empty cells are numbers"}
    for name, mangled in counts.items():
        assert channels[name]["invalid"] == mangled, name
        assert channels[name]["valid"] == ROWS - mangled
        assert set(channels[name]["unreadable_examples"]) <= set(MANGLED)
    vibration = channels["Vibration [g]"]
    found = [c["index"] for c in vibration["change_points"]]
    assert len(found) == len(SHIFTS), found
    for truth, got in zip(SHIFTS, found, strict=True):
        assert abs(got - truth) <= 0.02 * ROWS
    first = vibration["change_points"][0]
    assert abs(first["before"]["mean"] - 0.20) < 0.005
    assert abs(first["after"]["mean"] - 0.26) < 0.005
    assert first["time"] == f"{first['index']} s"
    door = channels["Türzeit [s]"]["trend"]
    assert door["degradation"]
    assert door["direction"] == "falling"
    assert abs(door["relative_change"] + 0.6) < 0.05
    assert channels["Nivellierung [mm]"]["change_points"] == []
    assert not channels["Nivellierung [mm]"]["trend"]["degradation"]


def test_the_table_names_every_channel_and_its_mangled_cells(tmp_path: Path) -> None:
    _semicolon_export(path := tmp_path / "export.csv", seed=1)
    res = _run(str(path), "--interval", "1")
    assert res.returncode == 0, res.stderr
    for text in ("Vibration [g]", "Türzeit [s]", "Nivellierung [mm]", "change points of",
                 "falling", "'#WERT!'", "ignored column 'Bemerkung'"):  # fmt: skip
        assert text in res.stdout, text


def test_tab_separated_export_with_a_timestamp_column(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    start = datetime(2026, 3, 1, tzinfo=UTC)
    lines = ["Zeitstempel\tstrom_a\ttemperatur_c"]
    for i in range(3000):
        t = (start + timedelta(seconds=10 * i)).strftime("%Y-%m-%d %H:%M:%S")
        current = rng.normal(12.0 if i < 2000 else 15.0, 0.5)
        lines.append(f"{t}\t{current:.3f}\t{rng.normal(31.7, 0.3):.2f}")
    (path := tmp_path / "export.tsv").write_text("\n".join(lines) + "\n")
    res = _run(str(path), "--json")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["delimiter"] == "\t"
    assert out["time"] == "column Zeitstempel"
    channels = {c["channel"]: c for c in out["channels"]}
    (change,) = channels["strom_a"]["change_points"]
    assert abs(change["index"] - 2000) <= 0.02 * 3000
    when = datetime.fromisoformat(change["time"])
    assert abs((when - (start + timedelta(seconds=20_000))).total_seconds()) <= 600
    assert channels["temperatur_c"]["change_points"] == []
    assert channels["temperatur_c"]["invalid"] == 0


def test_bad_files_exit_2_with_one_line(tmp_path: Path) -> None:
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "header_only.csv").write_text("a;b\n")
    (tmp_path / "text_only.csv").write_text("ts,name\n1,x\n2,y\n")
    (tmp_path / "binary.csv").write_bytes(gzip.compress(b"a;b\n1;2\n" * 100))
    (tmp_path / "no_time.csv").write_text("a;b\n1;2\n3;4\n")
    (tmp_path / "a_folder.csv").mkdir()
    cases = ["empty.csv", "header_only.csv", "text_only.csv", "binary.csv", "no_time.csv",
             "a_folder.csv", "missing.csv"]  # fmt: skip
    for name in cases:
        res = _run(str(tmp_path / name))
        assert res.returncode == 2, (name, res.stdout, res.stderr)
        lines = res.stderr.strip().splitlines()
        assert len(lines) == 1, (name, res.stderr)
        assert lines[0].startswith("error: "), (name, res.stderr)
        assert res.stdout == ""
