"""The Prometheus endpoint of ingest (a local HTTP server; no external services)."""

from __future__ import annotations

import socket
import urllib.request

from ingest.metrics import IngestMetrics


def test_metrics_are_served_with_every_dead_letter_reason() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    metrics = IngestMetrics()
    metrics.dead_letters.labels("malformed_json").inc(3)
    metrics.commit_seconds.observe(0.01)
    server = metrics.serve(port, addr="127.0.0.1")
    try:
        url = f"http://127.0.0.1:{port}/metrics"
        text = urllib.request.urlopen(url, timeout=5).read().decode()
    finally:
        server.shutdown()
        server.server_close()
    assert 'liftwatch_ingest_dead_letters_total{reason="malformed_json"} 3.0' in text
    assert 'liftwatch_ingest_dead_letters_total{reason="unknown_elevator"} 0.0' in text
    assert "liftwatch_ingest_commit_seconds_count 1.0" in text
