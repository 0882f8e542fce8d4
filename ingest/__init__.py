"""MQTT ingestion: subscribe, decode, validate, batch to storage, dead letters, presence."""
