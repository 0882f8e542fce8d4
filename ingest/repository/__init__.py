"""Ingest's SQL: telemetry and terminal events (binary COPY into staging, idempotent
inserts), dead letters, presence, and the elevator facts ingest and detection read."""
