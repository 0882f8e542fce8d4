"""Detector evaluation benchmark (also `liftwatch eval detect`).

Replays >= 2,000 simulated elevator-days (scenario mode, evaluation rates: every fault
type and look-alike injected twice per elevator-day) through the detectors and the
naive baseline; prints a table, then one JSON line: per fault type precision, recall,
median and p95 detection delay, the same under "baseline", detector throughput
(samples_per_s, detectors only, scenario generation excluded) and the sample count.

    .venv/bin/python bench/detect.py [--elevators 1000 --days 2 --workers 2]
    .venv/bin/python bench/detect.py --sensor-sweep [--quick]

``--sensor-sweep``: entrapment precision, recall, median and p95 delay for every cell
of presence model x load cell present/absent x reporting pattern, and the naive
baseline (:mod:`evaluation.sensor_sweep`); the JSON line has ``"sweep"``.
"""

from __future__ import annotations

from liftwatch.commands.detect_eval import eval_detect_cmd

if __name__ == "__main__":
    import typer

    typer.run(eval_detect_cmd)
