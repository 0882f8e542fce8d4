import json

from evaluation.detection import run_evaluation, summary_json


def test_a_small_evaluation_run_scores_every_injected_kind() -> None:
    result = run_evaluation(elevators=4, days=0.25, per_day=8.0, workers=1, chunk_s=1800)
    summary = summary_json(result)
    assert result.samples > 0
    assert result.samples_per_s > 0
    assert summary["elevator_days"] == 1.0
    assert summary["faults"]
    assert set(summary["faults"]) <= set(summary)
    assert summary["false_alarms"] <= summary["baseline_false_alarms"]
    json.dumps(summary)  # one JSON line
