"""MQTT plumbing shared by ingest, notifications, the API and the simulators."""
