"""Pure computation: detectors, anomaly detection, the 3+2 score, indicators (no I/O)."""
