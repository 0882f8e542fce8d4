from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from liftwatch.cli import app

runner = CliRunner()


def _csv(path: Path) -> Path:
    rng = np.random.default_rng(0)
    lines = ["timestamp,vibration,door_open_s,site"]
    for i in range(300):
        v = 0.2 + rng.normal(0, 0.01) + (0.3 if 100 <= i < 110 else 0.0)
        lines.append(f"{1_772_380_800 + 60 * i},{v:.4f},{3 + rng.normal(0, 0.1):.3f},A")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_analyze_reports_the_injected_segment_as_json(tmp_path: Path) -> None:
    res = runner.invoke(app, ["analyze", str(_csv(tmp_path / "t.csv")), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout.strip().splitlines()[-1])
    chans = {c["channel"]: c for c in out["channels"]}
    assert set(chans) == {"vibration", "door_open_s"}  # the text column is ignored
    (seg,) = chans["vibration"]["segments"]
    assert seg["points"] == 10
    assert seg["direction"] == "high"
    assert seg["start"].startswith("2026-03-01T17:40")  # epoch seconds read as UTC
    assert chans["door_open_s"]["segments"] == []


def test_analyze_prints_a_table(tmp_path: Path) -> None:
    res = runner.invoke(app, ["analyze", str(_csv(tmp_path / "t.csv"))])
    assert res.exit_code == 0
    assert "vibration" in res.stdout


def test_bad_csv_is_a_clear_error_with_exit_code_2(tmp_path: Path) -> None:
    cases = {
        "missing.csv": None,
        "no_time.csv": "a,b\n1,2\n",
        "no_numbers.csv": "ts,name\n1,x\n2,y\n",
        "ragged.csv": "ts,v\n1,2\n3\n",
        "bad_time.csv": "time,v\nyesterday,1\n",
        "empty.csv": "",
    }
    for name, text in cases.items():
        path = tmp_path / name
        if text is not None:
            path.write_text(text)
        res = runner.invoke(app, ["analyze", str(path)])
        assert res.exit_code == 2, (name, res.output)
        assert "error" in res.output
        assert "Traceback" not in res.output
