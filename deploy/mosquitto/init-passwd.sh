#!/bin/sh
# Build the password file from the environment at container start (no secrets in the image).
set -eu
f=/mosquitto/config/passwd
: > "$f"
mosquitto_passwd -b "$f" ingest "$MQTT_INGEST_PASSWORD"
mosquitto_passwd -b "$f" api "$MQTT_API_PASSWORD"
mosquitto_passwd -b "$f" dispatch "$MQTT_DISPATCH_PASSWORD"
mosquitto_passwd -b "$f" simulator "$MQTT_SIMULATOR_PASSWORD"
mosquitto_passwd -b "$f" health "$MQTT_HEALTH_PASSWORD"
chmod 0700 "$f"
exec mosquitto -c /mosquitto/config/mosquitto.conf
